#!/usr/bin/python3
"""Exploring a real model in the real window (issue 11), under Xvfb, driven with xdotool like a
person and read back through the test hook (ATTNSCOPE_TEST_LAYOUT):

  1. start on the seed's module; open the Model panel's list: it offers use-lite and the folders of
     a Hugging Face cache (HF_HOME, laid out as the hub writes it, with the random-weight BERT and
     ViT of make_model_folders.py); pick use-lite;
  2. type "The cat sat on the mat because it was tired." over the first sentence;
  3. open the model view and click layer 0 x head 3: the large map is that head;
  4. click the third token in the head view, then the sixth row of the matrix: the head view draws
     that query's row, and the row it reports equals attnscope-cli's --dump of the same sentence
     (attentions.npy [layers, b, heads, L, L], read with numpy); "every query": each key's tint is
     its column's mean; a token clicked then goes back to one query; "Save query" writes query 5's
     head views (every layer x head and the mean);
     side by side: A | B, B set to layer 1 head 1: A - B's largest |value| is the dump's; Save panes;
  5. open the head statistics, sort by previous-token share (both ways): the rows come in that
     order and agree with the CLI's head_stats.json; click the first row: the large map is that
     head;
  6. Ctrl+E: the export folder (the maps, the head views and the panes saved above) equals
     attnscope-cli run --model use-lite ... --export-maps D --query 5 --export-panes D --pane-a
     l0_b0_h3 --pane-b l1_b0_h1 (compare_exports: same names, same maps.json, pixels within 2/255;
     lines.json and panes.json byte for byte);
  7. type a folder without config.json into the model folder field + Open: one error message that
     names config.json, and use-lite stays the model shown;
  8. Ctrl+Q, start again with the same session: use-lite, the sentence, layer and head come back.

Exits 77 (skipped) when use-lite was not fetched (attnscope-cli fetch use-lite) or torch is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from gui_harness import App, fail, fresh_folder, key, run_main, same_exports, type_text, xdotool  # noqa: E402

SENTENCE = "The cat sat on the mat because it was tired."
FAST_SESSION = {"module": "multihead", "heads": 2, "emb_dim": 16, "max_len": 0, "sentences": ["a cat"]}


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


def fake_hf_cache(work):
    """HF_HOME with the random-weight BERT and ViT folders as hub snapshots."""
    made = os.path.join(work, "folders")
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_model_folders.py"), made], capture_output=True,
                       text=True, timeout=300)
    if r.returncode == 77:
        skip("torch is missing (python3-torch makes the test folders)")
    if r.returncode != 0:
        fail("make_model_folders.py failed: " + r.stdout + r.stderr)
    home = os.path.join(work, "hf_home")
    for repo, name in [("models--test--small-bert", "small_bert"), ("models--test--small-vit", "small_vit")]:
        shutil.copytree(os.path.join(made, name), os.path.join(home, "hub", repo, "snapshots", "0123abcd"))
        os.makedirs(os.path.join(home, "hub", repo, "refs"))
        with open(os.path.join(home, "hub", repo, "refs", "main"), "w") as f:
            f.write("0123abcd")
    return home


def click_at(app, name, fx, fy):
    """Click inside a widget at fractions (fx, fy) of its rectangle."""
    lay = app.layout()
    if name not in lay["items"]:
        fail(f"no widget {name} on screen", app)
    x0, y0, x1, y1 = lay["items"][name]
    x = int(lay["window"][0] + x0 + (x1 - x0) * fx)
    y = int(lay["window"][1] + y0 + (y1 - y0) * fy)
    xdotool("mousemove", "--sync", str(x), str(y))
    time.sleep(0.15)
    xdotool("click", "1")
    time.sleep(0.3)


def views(st):
    return st.get("views") or {}


def check_row(app, dump, layer, head, query):
    import numpy as np

    st = app.wait_for(f"the head view draws query {query} of layer {layer} head {head}",
                      lambda s: views(s)["head_view"]["query"] == query and views(s)["head_view"]["layer"] == layer
                      and views(s)["head_view"]["head"] == head)
    shown = np.array(views(st)["head_view"]["row"], dtype=np.float64)
    att = np.load(os.path.join(dump, "attentions.npy"))  # [layers, b, heads, L, L]
    want = att[layer, 0, head, query, :]
    if shown.shape != want.shape or np.max(np.abs(shown - want)) > 1e-6:
        fail(f"head view row {query} of layer {layer} head {head}: shown {shown.tolist()}, the CLI's dump "
             f"{want.tolist()}", app)
    print(f"ok: head view row {query} = the CLI's attentions[{layer}, 0, {head}, {query}] (max diff "
          f"{np.max(np.abs(shown - want)):.2e})")


def check_mean(app, dump, layer, head):
    import numpy as np

    st = app.wait_for("the head view draws every query", lambda s: views(s)["head_view"]["every_query"])
    shown = np.array(views(st)["head_view"]["row"], dtype=np.float64)
    want = np.load(os.path.join(dump, "attentions.npy"))[layer, 0, head].mean(axis=0)  # no padding here
    if shown.shape != want.shape or np.max(np.abs(shown - want)) > 1e-5:
        fail(f"every query: the keys' means {shown.tolist()} are not the CLI's column means {want.tolist()}", app)
    print(f"ok: every query: each key's mean weight = the CLI's column mean (max diff {np.max(np.abs(shown - want)):.2e})")


def compare(app, dump):
    import numpy as np

    app.click("attention.compare")
    app.wait_for("three panes", lambda s: "compare" in views(s))
    app.click("compare.b_layer", ctrl=True)  # Ctrl+click: type the slider's value
    key("ctrl+a")
    type_text("1")
    key("Return")
    app.wait_for("B on layer 1", lambda s: views(s)["compare"]["b"]["layer"] == 1)
    app.click("compare.b_head")
    app.wait_for("B's heads listed", lambda s: "compare.b_head.1" in app.layout()["items"], quiet=True)
    app.click("compare.b_head.1")
    st = app.wait_for("B is layer 1 head 1", lambda s: views(s)["compare"]["b"]["head"] == 1
                      and views(s)["compare"]["b"]["layer"] == 1)
    cmp = views(st)["compare"]
    if (cmp["a"]["layer"], cmp["a"]["head"]) != (0, 3):
        fail(f"A changed with B: {cmp}", app)
    att = np.load(os.path.join(dump, "attentions.npy"))
    want = float(np.max(np.abs(att[0, 0, 3] - att[1, 0, 1])))
    if abs(cmp["max_abs_difference"] - want) > 1e-6:
        fail(f"A - B: largest |difference| {cmp['max_abs_difference']}, the CLI's dump gives {want}", app)
    print(f"ok: A - B of layer 0 head 3 and layer 1 head 1: max |A - B| = {want:.4f}, as the CLI's dump")
    app.click("compare.save")
    app.wait_for("the panes saved", lambda s: any("pictures of the panes" in m["text"] for m in s["message_log"]))
    app.click("attention.compare")
    app.wait_for("one pane again", lambda s: "head_view" in views(s) and s["frame"] > st["frame"] + 3)


def sort_by_previous_share(app, cli_stats):
    app.click("explore.tab.head_stats")
    app.wait_for("the statistics table", lambda s: "head_stats" in views(s))
    orders = []
    for _ in range(2):
        before = views(app.state())["head_stats"]
        app.click("stats.header.previous_share")
        st = app.wait_for("sorted by previous-token share",
                          lambda s: views(s)["head_stats"]["sort"] == "previous_share"
                          and (before["sort"] != "previous_share"
                               or views(s)["head_stats"]["descending"] != before["descending"]))
        hs = views(st)["head_stats"]
        shares = [r["previous_share"] for r in hs["top"]]
        want = sorted(shares, reverse=hs["descending"])
        if shares != want:
            fail(f"rows not in previous-token order ({'descending' if hs['descending'] else 'ascending'}): {shares}",
                 app)
        orders.append((hs["descending"], hs["top"]))
    if orders[0][0] == orders[1][0]:
        fail("a second click on the header did not reverse the order", app)
    # The CLI's statistics of the same sentence rank the heads the same way.
    cli = sorted(cli_stats["head_stats"], key=lambda r: -r["previous_share"])
    desc = orders[0][1] if orders[0][0] else orders[1][1]
    if (desc[0]["layer"], desc[0]["head"]) != (cli[0]["layer"], cli[0]["head"]):
        fail(f"the top previous-token head is L{desc[0]['layer']} H{desc[0]['head']}, the CLI says "
             f"L{cli[0]['layer']} H{cli[0]['head']}", app)
    print(f"ok: the top previous-token head is layer {desc[0]['layer']} head {desc[0]['head']}, as the CLI's")
    # Descending again, then a click on the first row opens that head.
    if not views(app.state())["head_stats"]["descending"]:
        app.click("stats.header.previous_share")
        app.wait_for("descending", lambda s: views(s)["head_stats"]["descending"])
    top = views(app.state())["head_stats"]["top"][0]
    app.click("stats.row.0")
    app.wait_for(f"the first row opens layer {top['layer']} head {top['head']}",
                 lambda s: views(s)["large_map"]["layer"] == top["layer"] and views(s)["large_map"]["head"] == top["head"])
    return top


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--app", required=True)
    p.add_argument("--cli", required=True)
    p.add_argument("--compare", required=True)
    p.add_argument("--work", required=True)
    a = p.parse_args()
    work = fresh_folder(a.work)
    models = subprocess.run([a.cli, "models"], capture_output=True, text=True, timeout=120)
    if "use-lite" not in models.stdout:
        skip("use-lite is not fetched (attnscope-cli fetch use-lite)")
    env = {"HF_HOME": fake_hf_cache(work), "XDG_CONFIG_HOME": os.path.join(work, "config")}
    cli_env = dict(os.environ, **env)

    # What the CLI says about the sentence: its dump and its maps.
    dump = os.path.join(work, "cli_dump")
    for extra in (["--dump", dump],):
        r = subprocess.run([a.cli, "run", "--model", "use-lite", "--text", SENTENCE, *extra], capture_output=True,
                           text=True, timeout=240, env=cli_env)
        if r.returncode != 0:
            fail("attnscope-cli run failed: " + r.stderr[-2000:])
    with open(os.path.join(dump, "head_stats.json")) as f:
        cli_stats = json.load(f)
    # The CLI's files of everything the window will save: the maps, query 5's head views and the
    # panes layer 0 head 3 against layer 1 head 1.
    cli_all = os.path.join(work, "cli_all")
    r = subprocess.run([a.cli, "run", "--model", "use-lite", "--text", SENTENCE, "--export-maps", cli_all, "--query", "5",
                        "--export-panes", cli_all, "--pane-a", "l0_b0_h3", "--pane-b", "l1_b0_h1"],
                       capture_output=True, text=True, timeout=240, env=cli_env)
    if r.returncode != 0:
        fail("attnscope-cli run --query --export-panes failed: " + r.stderr[-2000:])

    session = os.path.join(work, "session.json")
    with open(session, "w") as f:
        json.dump(FAST_SESSION, f)
    export = os.path.join(work, "app_export")
    app = App(a.app, work, "explore", ["--session", session, "--export-dir", export], env=env)
    try:
        app.wait_ready("the seed's module drawn")
        app.focus()
        # 1. The Model panel's list: the seed's modules, use-lite and the HF cache's folders.
        app.click("model.module")
        # The list is drawn a frame or more after the click (several under the ASan build).
        app.wait_for("use-lite and the cache's folders listed",
                     lambda s: any(n.startswith("model.module.use-lite") for n in app.layout()["items"]), 60)
        lay = app.layout()
        listed = [n for n in lay["items"] if n.startswith("model.module.")]
        for want in ("model.module.use-lite", "model.module.multihead"):
            if want not in listed:
                fail(f"{want} is not in the Model panel's list: {listed}", app)
        if not any("small-bert" in n for n in listed) or not any("small-vit" in n for n in listed):
            fail(f"the Hugging Face cache's folders are not in the list: {listed}", app)
        print(f"ok: the Model panel lists {len(listed)} choices, use-lite and the cache's BERT and ViT among them")
        # A popup's first frame lays it out where it is not yet shown (Dear ImGui sizes it, then
        # places it): a click at the rect of that frame misses. A person clicks what is on screen.
        app.frames_advance(5)
        app.click("model.module.use-lite")
        app.wait_for("use-lite loaded and drawn",
                     lambda s: s.get("model", {}).get("name") == "use-lite" and s["ready"] and not s["busy"])
        # 2. A sentence typed over the first one.
        app.replace_field("input.sentence.0", SENTENCE)
        app.wait_for("the sentence computed", lambda s: s["settings"]["sentences"][0] == SENTENCE and s["ready"]
                     and not s["busy"] and "head_view" in views(s))
        # 3. The model view: a click on layer 0 x head 3 makes it the large map.
        app.click("explore.tab.model_view")
        app.wait_for("the model view", lambda s: "model_view" in views(s))
        app.click("model_view.l0.h3")
        app.wait_for("layer 0 head 3 is the large map",
                     lambda s: views(s)["large_map"]["layer"] == 0 and views(s)["large_map"]["head"] == 3)
        # 4. Any query: a token in the head view, then a row of the matrix.
        queries = views(app.state())["head_view"]["queries"]
        click_at(app, "head_view.queries", 0.5, 2.5 / queries)
        check_row(app, dump, 0, 3, 2)
        click_at(app, "attention.map", 0.5, 5.5 / queries)
        check_row(app, dump, 0, 3, 5)
        # Save query: query 5's head views of every layer x head (compared with the CLI's below).
        app.click("attention.save_query")
        app.wait_for("query 5's head views saved", lambda s: any("head views of query 5" in m["text"]
                                                                 for m in s["message_log"]))
        # Every query: each key gets the mean of its column.
        app.click("head_view.every_query")
        check_mean(app, dump, 0, 3)
        click_at(app, "head_view.queries", 0.5, 1.5 / queries)
        app.wait_for("a token chosen again draws its row alone",
                     lambda s: not views(s)["head_view"]["every_query"] and views(s)["head_view"]["query"] == 1)
        # Side by side: A (layer 0 head 3) against B = layer 1 head 1, and A - B.
        compare(app, dump)
        # 5. The statistics, sorted, and a click that opens the head.
        sort_by_previous_share(app, cli_stats)
        # 6. Export, against the CLI's.
        exports = app.state()["exports"]
        key("ctrl+e")
        app.wait_for("the export written", lambda s: s["exports"] > exports)
        # The maps (Ctrl+E), the head views (Save query) and the panes (Save panes) against the CLI's.
        same_exports(a.compare, export, cli_all, "the window's export against attnscope-cli's", app)
        for name in ("lines.json", "panes.json"):
            with open(os.path.join(export, name), "rb") as f, open(os.path.join(cli_all, name), "rb") as g:
                if f.read() != g.read():
                    fail(f"the window's {name} differs from attnscope-cli's", app)
        lines = [n for n in os.listdir(export) if n.endswith("_lines.png")]
        panes = [n for n in os.listdir(export) if n.startswith(("pane_", "diff_"))]
        print(f"ok: {len(lines)} head views, {len(panes)} pane files, lines.json and panes.json as the CLI's")
        # 7. A folder that is no model: one message naming config.json, use-lite stays.
        bad = os.path.join(work, "not_a_model")
        os.makedirs(bad)
        with open(os.path.join(bad, "model.safetensors"), "wb") as f:
            f.write(b"not a model")
        errors_before = len([m for m in app.state()["message_log"] if m["kind"] == "error"])
        app.replace_field("model.folder", bad)
        app.click("model.folder_open")
        st = app.wait_for("one error naming config.json",
                          lambda s: len([m for m in s["message_log"] if m["kind"] == "error"]) > errors_before
                          and s["ready"] and not s["busy"], timeout=60)
        time.sleep(1.0)
        st = app.state()
        errors = [m["text"] for m in st["message_log"] if m["kind"] == "error"][errors_before:]
        if len(errors) != 1 or "config.json" not in errors[0] or bad not in errors[0]:
            fail(f"the bad folder gave {errors}, not one message naming {bad}/config.json", app)
        if st["model"]["name"] != "use-lite" or st["settings"]["model"] != "use-lite":
            fail("the current model did not stay use-lite after the bad folder", app)
        print(f"ok: the bad folder: \"{errors[0]}\"; use-lite stays")
        shown = views(st)["large_map"]
        app.quit()
    finally:
        app.close()

    # 8. The session remembers.
    with open(session) as f:
        saved = json.load(f)
    if saved.get("model") != "use-lite" or saved["sentences"][0] != SENTENCE:
        fail(f"the session did not keep use-lite and the sentence: {saved}")
    again = App(a.app, work, "again", ["--session", session, "--export-dir", export], env=env)
    try:
        st = again.wait_for("use-lite restored", lambda s: s.get("model", {}).get("name") == "use-lite" and s["ready"]
                            and not s["busy"] and "large_map" in views(s), timeout=120)
        back = views(st)["large_map"]
        if (back["layer"], back["head"]) != (shown["layer"], shown["head"]):
            fail(f"the session reopened layer {back['layer']} head {back['head']}, not {shown}", again)
        print(f"ok: the next start restores use-lite, the sentence and layer {back['layer']} head {back['head']}")
    finally:
        again.close()


if __name__ == "__main__":
    run_main(main)
