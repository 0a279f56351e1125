#!/usr/bin/python3
"""Lessons and presentation mode in the real window, under Xvfb, driven with xdotool like a person.

    lessons_test.py --part tour-en|tour-zh|bad-files|presentation --app A --work DIR

tour-en   Opens the seed tour from View > Lessons, and at every step: waits for the step's pass,
          checks that every widget the step points at is framed on screen and inside its panel
          (scrolled into view), does the step's task with real clicks and typing (heads 4, the
          mask fill's -inf from its list, a sentence typed, Up in the Pipeline...), waits for
          the window to notice it, and clicks Next; Finish closes the tour. Then Ctrl+Q, a new
          start on the same session: every task is still done.
tour-zh   The same in Chinese (the 中文 switch on the card), with a Ctrl+Q half-way: the next start
          is at the same step, its task done, the learner's sentence there, the language Chinese;
          the tour goes on to the end from there.
bad-files Three broken lessons in the user's folder ($XDG_DATA_HOME/attnscope/lessons): not JSON,
          a step without text, a widget that does not exist. One message each, naming the file,
          the step and the field; the window goes on and the bundled tour is still offered.
presentation
          Ctrl+= twice: 150 %, the font rebuilt at 24 px (not stretched) and the widgets' recorded
          rectangles 1.5 times as large; restored after a restart; Ctrl+- back. View > Light theme:
          the window read back from the X server is mostly white (and nearly none of it is in
          the dark theme), and the theme is restored after a restart.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_harness import App, fail, fresh_folder, key, png_bytes, run_main, type_text, xdotool  # noqa: E402

ARGS = None

# What a person does for each step's task, by the step's id. Every action is a click or a key.
# Pipeline rows: the multi-head module's weighted_sum is step 14 and merge_heads 15; the cross
# module's scores are 7 and softmax 12 (attnscope-cli run --module ... prints them).


def wait_item(app, name, timeout=30.0):
    app.wait_for(f"the widget {name} on screen", lambda s: app.has_item(name), timeout, quiet=True)


def wait_still(app, name, timeout=30.0):
    """Until the widget stays where it is for half a second: a row the lesson scrolls into view
    moves for a few frames after the step opens, and a click at its old place hits another row."""
    start, last, since = time.time(), None, time.time()
    while time.time() - start < timeout:
        lay = app.layout()
        rect = lay["items"].get(name) if lay else None
        if rect != last:
            last, since = rect, time.time()
        elif rect is not None and time.time() - since >= 0.5:
            return
        time.sleep(0.05)
    fail(f"{name} did not come to rest on screen", app)


def pick_from_combo(app, combo, item):
    app.click(combo)
    wait_item(app, item)
    time.sleep(0.3)  # the list is drawn where the combo is now
    app.click(item)


def do_idea(app):
    app.click("input.add_sentence")
    app.wait_for("a second sentence", lambda s: len(s["sentences"]) == 2)
    wait_item(app, "input.sentence.1")
    app.click("input.sentence.1")
    type_text("tom chase jerry")


def do_self(app):
    app.replace_field("model.emb_dim", "256", dx=12, enter=True)


def do_split_heads(app):
    app.replace_field("model.heads", "4", dx=12, enter=True)


def do_head_scores(app):
    app.wait_for("8 heads drawn", lambda s: s["pass"]["heads"] == 8)
    app.click("attention.thumb.h3")


def do_merge_heads(app):
    wait_still(app, "pipeline.step.15")  # the selected row, which the lesson brings into view
    app.click("pipeline.step.15")
    key("Up")


def do_eq0(app):
    app.click("input.add_sentence")
    app.wait_for("a fourth sentence", lambda s: len(s["sentences"]) == 4)
    wait_item(app, "input.sentence.3")
    app.click("input.sentence.3")
    type_text("a dog")


def do_expand(app):
    pick_from_combo(app, "attention.batch", "attention.batch.1")


def do_repeat(app):
    app.replace_field("model.heads", "2", dx=12, enter=True)


def do_mask_fill(app):
    pick_from_combo(app, "model.mask_fill", "model.mask_fill.-inf")


def do_cross(app):
    app.replace_field("input.grid_h", "20", dx=12, enter=True)
    app.replace_field("input.grid_w", "20", dx=12, enter=True)


def do_yolo_world(app):
    wait_still(app, "pipeline.step.12")
    app.click("pipeline.step.12")
    for _ in range(5):
        key("Up")


def do_real_model(app):
    # use-lite's pass takes a moment to load the first time; the Explore panel's model view of
    # every layer x head comes with it, and a click on a thumbnail opens that head.
    app.wait_for("use-lite's pass", lambda s: s["settings"].get("model") == "use-lite" and s["ready"], 120)
    wait_item(app, "model_view.l0.h2", 60)
    wait_still(app, "model_view.l0.h2")
    app.click("model_view.l0.h2")


TASKS = {
    "idea": do_idea, "self": do_self, "split_heads": do_split_heads, "head_scores": do_head_scores,
    "merge_heads": do_merge_heads, "eq0": do_eq0, "expand": do_expand, "repeat": do_repeat,
    "masked_fill": do_mask_fill, "trap": do_mask_fill, "cross": do_cross, "yolo_world": do_yolo_world,
    "real_model": do_real_model,
}

PANEL_OF = {"input": "panel.input", "model": "panel.model", "attention": "panel.attention",
            "pad_mask": "panel.pad_mask", "pipeline": "panel.pipeline"}


def quit_app(app):
    """Ctrl+Q. The pointer moves off first: the harness's focus() moves it to the window's corner
    with xdotool's --sync, which waits for a move that never comes when it is there already."""
    win = app.layout()["window"]
    xdotool("mousemove", str(win[0] + 320), str(win[1] + 260))
    time.sleep(0.2)
    app.quit()


def lesson(st):
    return st.get("lesson") or {}


def start(name, session, env=None):
    app = App(ARGS.app, ARGS.work, name, ["--session", session, "--export-dir", os.path.join(ARGS.work, "export")],
              env=dict({"XDG_DATA_HOME": os.path.join(ARGS.work, "data")}, **(env or {})))
    app.wait_ready(f"{name}: the first pass drawn")
    app.focus()
    return app


def open_tour(app):
    app.click("menu.view")
    wait_item(app, "menu.lessons")
    app.click("menu.lessons")
    wait_item(app, "menu.lessons.seed-tour")
    app.click("menu.lessons.seed-tour")
    app.wait_for("the tour open at its first step", lambda s: lesson(s).get("open") == "seed-tour"
                 and lesson(s)["step"] == 0)


def check_highlights(app, st):
    """Every widget the step points at is drawn this frame and lies inside its panel (in view)."""
    want = lesson(st)["highlight"]
    st = app.wait_for(f"step {lesson(st)['step_id']}: the frames around {want}",
                      lambda s: sorted(lesson(s)["highlight_drawn"]) == sorted(want), 30, quiet=True)
    items = app.last["items"]
    for name in want:
        panel = PANEL_OF.get(name.split(".")[0])
        if panel is None:
            continue
        x0, y0, x1, y1 = items[name]
        p0x, p0y, p1x, p1y = items[panel]
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not (p0x <= cx <= p1x and p0y <= cy <= p1y):
            fail(f"{name} {items[name]} is not in view in {panel} {items[panel]}", app)


def run_steps(app, first, last, language):
    """Steps first..last (indices): task done by hand and noticed, then Next."""
    for index in range(first, last + 1):
        st = app.wait_for(f"step {index} shown", lambda s: lesson(s).get("step") == index)
        step_id = lesson(st)["step_id"]
        st = app.wait_for(f"step {index} ({step_id}): its pass", lambda s: s["ready"] and not s["busy"], 120)
        if lesson(st)["language"] != language:
            fail(f"step {step_id} is shown in {lesson(st)['language']}, not {language}", app)
        check_highlights(app, st)
        # The Pipeline step the scene names is the one selected, and the lesson file raised nothing.
        named = SCENE_STEPS.get(step_id)
        if named:
            st = app.wait_for(f"step {step_id}: the Pipeline at {named}",
                              lambda s: lesson(s)["pipeline_step"] == named, 30, quiet=True)
        said = [m["text"] for m in st["message_log"] if m["kind"] == "error" and "lesson" in m["text"].lower()]
        if said:
            fail(f"step {step_id}: the lesson said {said}", app)
        if lesson(st)["task_done"]:
            fail(f"step {step_id}: its task is done before the learner did anything", app)
        if step_id not in TASKS:
            fail(f"step {step_id}: this test has no hands for its task yet (add a do_{step_id} to TASKS)", app)
        TASKS[step_id](app)
        app.wait_for(f"step {index} ({step_id}): the task noticed", lambda s: lesson(s).get("task_done"), 120)
        if index == last and last + 1 < lesson(st)["steps"]:
            return
        app.click("lesson.next")
    app.wait_for("the tour closed after Finish", lambda s: not lesson(s))


def scene_steps():
    """The Pipeline step each step's scene selects by name, from the bundled lesson file."""
    with open(os.path.join(ARGS.assets, "lessons", "seed_tour.json"), encoding="utf-8") as f:
        tour = json.load(f)
    return {s["id"]: s.get("scene", {}).get("step") for s in tour["steps"] if isinstance(s.get("scene", {}).get("step"), str)}


SCENE_STEPS = {}


def done_tasks(st):
    return [d for d in st["settings"].get("lesson_done", []) if d.startswith("seed-tour/")]


def tour(language):
    session = os.path.join(ARGS.work, "session.json")
    app = start("tour", session)
    try:
        open_tour(app)
        st = app.state()
        steps = lesson(st)["steps"]
        if steps < 12:
            fail(f"the tour has {steps} steps; the seed tour has at least 12", app)
        if language == "zh":
            app.click("lesson.language.zh")
            app.wait_for("the card in Chinese", lambda s: lesson(s)["language"] == "zh"
                         and s["settings"].get("language") == "zh")
            half = 5  # eq0: a sentence of the learner's own
            run_steps(app, 0, half, "zh")
            quit_app(app)  # the session is written as the window closes
            app.close()
            app = start("tour_again", session)
            st = app.wait_for("the same step after a restart", lambda s: lesson(s).get("step") == half)
            if not lesson(st)["task_done"] or lesson(st)["language"] != "zh":
                fail("the step's task or the language was not restored", app)
            if "a dog" not in st["sentences"]:
                fail(f"the learner's sentence was not restored: {st['sentences']}", app)
            app.click("lesson.next")
            run_steps(app, half + 1, steps - 1, "zh")
        else:
            run_steps(app, 0, steps - 1, "en")
        st = app.state()
        if len(done_tasks(st)) != steps:
            fail(f"{len(done_tasks(st))} tasks done of {steps}", app)
        quit_app(app)
        app.close()
        app = start("after", session)
        st = app.wait_for("the progress after a restart", lambda s: len(done_tasks(s)) == steps)
        if lesson(st):
            fail("the finished tour opened again by itself", app)
        print(f"ok: {steps} tasks done in {language} and still done after a restart")
        quit_app(app)
    finally:
        app.close()


def bad_files():
    folder = os.path.join(ARGS.work, "data", "attnscope", "lessons")
    os.makedirs(folder)
    with open(os.path.join(ARGS.assets, "lessons", "seed_tour.json"), encoding="utf-8") as f:
        good = json.load(f)
    with open(os.path.join(folder, "a_not_json.json"), "w") as f:
        f.write('{"format": 1, "id": "broken", "title": "x", "steps": [')
    no_text = dict(good, id="no-text", steps=[dict(s) for s in good["steps"][:2]])
    del no_text["steps"][1]["text"]
    with open(os.path.join(folder, "b_no_text.json"), "w") as f:
        json.dump(no_text, f)
    bad_widget = dict(good, id="bad-widget", steps=[dict(good["steps"][0], highlight=["model.headz"])])
    with open(os.path.join(folder, "c_bad_widget.json"), "w") as f:
        json.dump(bad_widget, f)
    session = os.path.join(ARGS.work, "session.json")
    app = start("bad", session)
    try:
        st = app.wait_for("three messages about lesson files",
                          lambda s: len([m for m in s["message_log"] if "Lesson left out" in m["text"]]) == 3)
        said = [m for m in st["message_log"] if "Lesson left out" in m["text"]]
        expected = [("a_not_json.json", "not JSON (line 1"),
                    ("b_no_text.json", 'step 2 (self): "text": missing'),
                    ("c_bad_widget.json", 'step 1 (idea): "highlight": "model.headz" is not a widget')]
        for (file, part), m in zip(expected, said):
            if m["kind"] != "error" or file not in m["text"] or part not in m["text"]:
                fail(f"the message about {file} should say {part!r}: {m}", app)
            print("ok:", m["text"][:150])
        if st["lessons"] != ["seed-tour"]:
            fail(f"the lessons offered: {st['lessons']}", app)
        app.frames_advance(10)
        open_tour(app)  # the good lesson still works
        print("ok: the window goes on, and the bundled tour opens")
        quit_app(app)
    finally:
        app.close()


def grab_window(app):
    """The window's pixels from the X server (RGB rows), as a person's screenshot."""
    from Xlib import X, display
    x, y, w, h = app.last["window"]
    d = display.Display()
    raw = d.screen().root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF).data
    d.close()
    # 24-bit depth is 32 bits per pixel: blue, green, red, unused.
    rgb = bytearray(w * h * 3)
    rgb[0::3], rgb[1::3], rgb[2::3] = raw[2::4], raw[1::4], raw[0::4]
    return w, h, [bytes(rgb[r * w * 3:(r + 1) * w * 3]) for r in range(h)]


def white_fraction(rows):
    """The share of pixels that are white (every channel at least 250)."""
    pixels = b"".join(rows)
    white = sum(1 for r, g, b in zip(pixels[0::3], pixels[1::3], pixels[2::3]) if r >= 250 and g >= 250 and b >= 250)
    return white / (len(pixels) // 3)


def presentation():
    session = os.path.join(ARGS.work, "session.json")
    app = start("scale", session)
    try:
        st = app.wait_for("100 %", lambda s: s["ui"]["font_px"] == 16)
        before = app.last["items"]["model.heads"]
        key("ctrl+equal")
        key("ctrl+equal")
        st = app.wait_for("150 %, the font made at 24 px", lambda s: abs(s["ui"]["scale"] - 1.5) < 1e-6
                          and s["ui"]["font_px"] == 24 and s["ready"])
        app.frames_advance(5)
        after = app.layout()["items"]["model.heads"]
        grow_w = (after[2] - after[0]) / (before[2] - before[0])
        grow_h = (after[3] - after[1]) / (before[3] - before[1])
        if not (1.4 <= grow_w <= 1.6 and 1.4 <= grow_h <= 1.6):
            fail(f"model.heads grew {grow_w:.2f} x {grow_h:.2f} at 150 %: {before} -> {after}", app)
        print(f"ok: Ctrl+= twice: font 24 px, model.heads {grow_w:.2f} x {grow_h:.2f} as large")
        quit_app(app)
        app.close()
        app = start("scale_again", session)
        app.wait_for("150 % after a restart", lambda s: s["ui"]["font_px"] == 24)
        key("ctrl+minus")
        app.wait_for("Ctrl+-: 125 %", lambda s: s["ui"]["font_px"] == 20)
        key("ctrl+minus")
        app.wait_for("Ctrl+-: 100 %", lambda s: s["ui"]["font_px"] == 16 and s["ready"])
        app.frames_advance(5)
        dark = white_fraction(grab_window(app)[2])
        app.click("menu.view")
        wait_item(app, "menu.view.light_theme")
        app.click("menu.view.light_theme")
        app.wait_for("the light theme", lambda s: s["ui"]["theme"] == "light")
        key("Escape")
        app.focus()  # the pointer off the menus
        app.frames_advance(10)
        w, h, rows = grab_window(app)
        light = white_fraction(rows)
        with open(os.path.join(ARGS.work, "light_theme.png"), "wb") as f:
            f.write(png_bytes(w, h, lambda r: rows[r]))
        if light < 0.30 or dark > 0.01:
            fail(f"white pixels: {light:.1%} in the light theme, {dark:.1%} in the dark one", app)
        print(f"ok: white pixels {light:.1%} in the light theme, {dark:.2%} in the dark one "
              f"({os.path.join(ARGS.work, 'light_theme.png')})")
        quit_app(app)
        app.close()
        app = start("theme_again", session)
        app.wait_for("the light theme after a restart", lambda s: s["ui"]["theme"] == "light")
        quit_app(app)
    finally:
        app.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", required=True, choices=["tour-en", "tour-zh", "bad-files", "presentation"])
    parser.add_argument("--app", required=True)
    parser.add_argument("--assets", required=True)
    parser.add_argument("--work", required=True)
    global ARGS
    ARGS = parser.parse_args()
    ARGS.work = fresh_folder(ARGS.work)
    SCENE_STEPS.update(scene_steps())
    {"tour-en": lambda: tour("en"), "tour-zh": lambda: tour("zh"), "bad-files": bad_files,
     "presentation": presentation}[ARGS.part]()


if __name__ == "__main__":
    run_main(main)
