// The reference for attnscope's use-lite: TensorFlow.js (pure JavaScript CPU backend) executing
// the package's own graph, and the universal-sentence-encoder package's own Tokenizer, on the
// same files the engine reads. Each check runs the engine through use_lite_probe and compares:
//   - tokenizer ids identical, on the real vocabulary and on small ones built for its quirks;
//   - both layers' attention weights and the sentence embeddings within 1e-4, one sentence at a
//     time and as one padded batch (padded rows included: the engine computes what the graph does);
//   - the engine's padded batch bit for bit equal to each sentence alone on its real tokens.
// Run by run_oracle.sh (ctest use_lite_tfjs). Exit status 0 when every check holds.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfconv = require('@tensorflow/tfjs-converter');
const { Tokenizer } = require('@tensorflow-models/universal-sentence-encoder');

const args = {};
for (let i = 2; i + 1 < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = args.work, probe = args.probe, modelDir = args['model-dir'], cli = args.cli;

const TOLERANCE = 1e-4;
const STACK = 'module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack/';
const attentionNode = (l) =>
  `${STACK}Layer_${l}/TransformerLayer/MultiheadAttention/DotProductAttention/BaseDotProductAttention/attention_weights`;
const hiddenNode = `${STACK}Layer_1/TransformerLayer/FFN/layer_postprocess/add`;
const embeddingNode = 'module_apply_default/Encoder_en/hidden_layers/l2_normalize';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// ---- .npy files the probe writes (little-endian <f4 and <i8, C order) ----
function readNpy(file) {
  const buf = fs.readFileSync(file);
  const headerLen = buf.readUInt16LE(8);
  const header = buf.toString('latin1', 10, 10 + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = 10 + headerLen;
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++)
    data[i] = descr === '<f4' ? buf.readFloatLE(off + 4 * i) : Number(buf.readBigInt64LE(off + 8 * i));
  return { shape, data };
}

function runProbe(...argv) {
  return execFileSync(probe, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

// ---- the tokenizer ----
function engineIds(vocabFile, sentences) {
  const inFile = path.join(work, 'sentences.json'), outFile = path.join(work, 'ids.json');
  fs.writeFileSync(inFile, JSON.stringify(sentences));
  runProbe('tokenize', vocabFile, inFile, outFile);
  return JSON.parse(fs.readFileSync(outFile, 'utf8'));
}

function compareTokenizers(label, vocab, vocabFile, sentences) {
  const tokenizer = new Tokenizer(vocab);
  const ours = engineIds(vocabFile, sentences);
  let same = 0;
  sentences.forEach((s, i) => {
    const theirs = tokenizer.encode(s);
    if (JSON.stringify(theirs) === JSON.stringify(ours[i])) same++;
    else console.log(`  ${label} ${JSON.stringify(s)}: package ${JSON.stringify(theirs)}, engine ${JSON.stringify(ours[i])}`);
  });
  check(same === sentences.length, `tokenizer, ${label}: ${same} of ${sentences.length} sentences give the same ids`);
}

const TOKENIZER_SENTENCES = [
  'The cat sat on the mat because it was tired.',
  "Hello, world! How's it going? (Fine; thanks...)",
  'I paid $1,234.56 on 2023-10-05 at 14:30, i.e. 99.9% of 1e6.',
  'Emoji: \u{1F600}\u{1F44D}\u{1F3FD}\u2764\uFE0F \u{1F1EB}\u{1F1F7} \u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
  '\u4E2D\u6587\u53E5\u5B50\uFF0C\u65E5\u672C\u8A9E\u306E\u6587\u3001\uD55C\uAD6D\uC5B4 \uBB38\uC7A5.',
  'Caf\u00E9 na\u00EFve r\u00E9sum\u00E9 fa\u00E7ade \u00C5ngstr\u00F6m',
  'e\u0301 and \u00E9: NFKC composes the first',
  '\uFB01ne \uFB02ower \uFF26\uFF55\uFF4C\uFF4C\uFF57\uFF49\uFF44\uFF54\uFF48 \u2460\u2461\u2462 \u337F \u2153',
  'unknown: \u222E \u214B \uA66E \u{1D518}\u{1D52B}\u{1D526} \u{10FFFD} \u{20B9F}\u{2A6B2}',
  '',
  ' ',
  '   \t  \n ',
  'a\u00A0b\u3000c\u2009d',
  ':30 :) :-) :( :// ): x:y',
  '\u0395\u03BB\u03BB\u03B7\u03BD\u03B9\u03BA\u03AC \u043A\u0438\u0440\u0438\u043B\u043B\u0438\u0446\u0430',
  'mixed   multiple    spaces  ',
  '\u0627\u0644\u0644\u063A\u0629 \u0627\u0644\u0639\u0631\u0628\u064A\u0629 \u0939\u093F\u0928\u094D\u0926\u0940',
  "can't won't it's y'all O'Neill",
  '\u0007bell and \u001B escape',
  'x'.repeat(300),
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  Array(60).fill('tokenization').join(' '),
];

// Small vocabularies for the quirks (text/sentencepiece.h), as test_sentencepiece.cpp uses them.
const RESERVED = [['\uFFFD', 0], ['<s>', 0], ['</s>', 0], ['extra_token_id_1', 0], ['extra_token_id_2', 0],
  ['extra_token_id_3', 0]];
const QUIRK_VOCABS = {
  ties: [['\u2581x', -2], ['\u2581', -1], ['x', -1]],
  zero_is_unset: [['\u2581', 1], ['z', -1], ['zw', -1], ['w', -9]],
  unknown_scores_zero: [['\u2581b', -1], ['c', -1]],
  repeated_piece: [['\u2581b', -1], ['c', -1], ['\u2581b', -1], ['b', -5]],
  null_scores: [['\u2581', -1], [':', null], ['\u2581:', -0.5]],
  emoji_piece: [['\u2581\u{1F600}', -1], ['\u2581', -2], ['a', -3]],
};
const QUIRK_SENTENCES = ['', ' ', 'x', 'xx x', 'zw', 'zwzw', 'bc', 'b c', '::', ': :', '\u{1F600}', 'a\u{1F600}b',
  '\u{1F600}\u{1F601}', '<s>', 'zxwbc\u{1F600}'];

// ---- the model ----
async function loadGraph(dir) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = [], parts = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...group.weights);
  }
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return tfconv.loadGraphModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: specs, weightData }));
}

// The graph's sparse input for a batch of id lists, as the package's embed() builds it.
async function runGraph(model, idLists) {
  const indices = [], values = [];
  idLists.forEach((ids, i) => ids.forEach((id, j) => { indices.push([i, j]); values.push(id); }));
  const inputs = { indices: tf.tensor2d(indices, [indices.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
  const outs = await model.executeAsync(inputs, [attentionNode(0), attentionNode(1), hiddenNode, embeddingNode]);
  const arrays = await Promise.all(outs.map(async (t) => ({ shape: t.shape, data: await t.data() })));
  tf.dispose([...outs, inputs.indices, inputs.values]);
  return { att: [arrays[0], arrays[1]], hidden: arrays[2], embedding: arrays[3] };
}

function engineRun(sentences, tag) {
  const dir = path.join(work, tag);
  fs.mkdirSync(dir, { recursive: true });
  const inFile = path.join(dir, 'sentences.json');
  fs.writeFileSync(inFile, JSON.stringify(sentences));
  runProbe('run', modelDir, inFile, dir);
  const r = (name) => readNpy(path.join(dir, name));
  return { ids: r('input_ids.npy'), mask: r('attention_mask.npy'), att: r('attentions.npy'),
    hidden: r('last_hidden_state.npy'), embedding: r('sentence_embedding.npy'),
    warnings: JSON.parse(fs.readFileSync(path.join(dir, 'warnings.json'), 'utf8')) };
}

function maxDiff(a, b, offsetB = 0) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[offsetB + i]));
  return m;
}
function sameShape(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Engine vs graph on one batch: every element of both layers' attentions, the embeddings, and
// the last hidden state (relative to its size).
function compareRun(label, ours, theirs) {
  const [layers, b, H, L] = ours.att.shape;
  let attDiff = 0;
  for (let l = 0; l < layers; l++) {
    const t = theirs.att[l];
    if (!sameShape(t.shape, [b, H, L, L])) {
      check(false, `${label}: layer ${l} attention shape ${JSON.stringify(t.shape)} vs engine ${JSON.stringify([b, H, L, L])}`);
      return;
    }
    const n = b * H * L * L;
    attDiff = Math.max(attDiff, maxDiff(theirs.att[l].data, ours.att.data, l * n));
  }
  const embDiff = maxDiff(theirs.embedding.data, ours.embedding.data);
  let hidDiff = 0, hidMax = 0;
  for (let i = 0; i < ours.hidden.data.length; i++) {
    hidDiff = Math.max(hidDiff, Math.abs(ours.hidden.data[i] - theirs.hidden.data[i]));
    hidMax = Math.max(hidMax, Math.abs(theirs.hidden.data[i]));
  }
  check(attDiff <= TOLERANCE && embDiff <= TOLERANCE && hidDiff <= TOLERANCE * Math.max(1, hidMax),
        `${label}: [b, L] = [${b}, ${L}], max |diff| attentions ${attDiff.toExponential(2)}, embedding ` +
        `${embDiff.toExponential(2)}, last hidden ${hidDiff.toExponential(2)} (values up to ${hidMax.toFixed(1)})`);
  return { attDiff, embDiff, hidDiff };
}

// The engine's batch item i on its n real tokens, against the same sentence run alone: equal bit for bit.
function compareBatchToAlone(batch, alone, i, n, label) {
  const [layers, b, H, L] = batch.att.shape;
  let identical = true;
  for (let l = 0; l < layers && identical; l++)
    for (let h = 0; h < H; h++)
      for (let q = 0; q < n; q++)
        for (let k = 0; k < L; k++) {
          const v = batch.att.data[(((l * b + i) * H + h) * L + q) * L + k];
          const w = k < n ? alone.att.data[((l * H + h) * n + q) * n + k] : 0;
          if (v !== w) identical = false;
        }
  const hidden = batch.hidden.shape[2];
  for (let q = 0; q < n * hidden && identical; q++)
    if (batch.hidden.data[i * L * hidden + q] !== alone.hidden.data[q]) identical = false;
  for (let c = 0; c < hidden && identical; c++)
    if (batch.embedding.data[i * hidden + c] !== alone.embedding.data[c]) identical = false;
  check(identical, `padded batch item ${i} (${label}) equals the sentence alone bit for bit`);
}

function cosine(a, i, b, j, d) {
  let s = 0;
  for (let c = 0; c < d; c++) s += a.data[i * d + c] * b.data[j * d + c];
  return s;
}

const MODEL_SENTENCES = [
  'The cat sat on the mat because it was tired.',
  'I like my phone.',
  'Your cellphone looks great.',
  'How old are you?',
  'What is your age?',
  'Hi',
  'Emoji \u{1F600} and \u4E2D\u6587 with caf\u00E9!',
  'The quarterly report, published on 2023-10-05, shows revenue of $1,234.56 million across 42 regions, ' +
    'which analysts described as remarkably stable given the circumstances of the year.',
];
const LONG_SENTENCE = Array(70).fill('the cat sat').join(' ');  // 210 pieces: cut to 128

async function main() {
  fs.mkdirSync(work, { recursive: true });
  await tf.setBackend('cpu');

  // 1. The tokenizer, on the real vocabulary and on the quirk vocabularies.
  const vocabFile = path.join(modelDir, 'vocab.json');
  const vocab = JSON.parse(fs.readFileSync(vocabFile, 'utf8'));
  compareTokenizers('use-lite vocab.json', vocab, vocabFile, TOKENIZER_SENTENCES);
  for (const [name, pieces] of Object.entries(QUIRK_VOCABS)) {
    const v = RESERVED.concat(pieces);
    const file = path.join(work, `vocab_${name}.json`);
    fs.writeFileSync(file, JSON.stringify(v));
    compareTokenizers(`quirk vocabulary '${name}'`, v, file, QUIRK_SENTENCES);
  }

  // 2. The model, each sentence alone, then all of them as one padded batch.
  const model = await loadGraph(modelDir);
  const tokenizer = new Tokenizer(vocab);
  const alone = [];
  const sentences = MODEL_SENTENCES.concat([LONG_SENTENCE]);
  for (let i = 0; i < sentences.length; i++) {
    const ids = tokenizer.encode(sentences[i]);
    const ours = engineRun([sentences[i]], `alone${i}`);
    check(JSON.stringify(Array.from(ours.ids.data)) === JSON.stringify(ids.slice(0, 128)),
          `sentence ${i + 1}: the engine's input_ids are the package tokenizer's (${ids.length} pieces)`);
    const theirs = await runGraph(model, [ids]);
    compareRun(`sentence ${i + 1} alone`, ours, theirs);
    alone.push(ours);
  }
  check(alone[sentences.length - 1].warnings.length === 1 && alone[sentences.length - 1].ids.shape[1] === 128,
        `a sentence of ${tokenizer.encode(LONG_SENTENCE).length} pieces is cut to 128 with a warning`);

  const batchSentences = MODEL_SENTENCES;
  const batchIds = batchSentences.map((s) => tokenizer.encode(s));
  const ours = engineRun(batchSentences, 'batch');
  const theirs = await runGraph(model, batchIds);
  compareRun(`padded batch of ${batchSentences.length}`, ours, theirs);
  batchIds.forEach((ids, i) => compareBatchToAlone(ours, alone[i], i, ids.length, batchSentences[i].slice(0, 24)));

  // 3. The same batch through the command users and scripts run:
  //    attnscope-cli run --model use-lite --text ... --dump DIR
  if (cli) {
    const dir = path.join(work, 'cli_batch');
    fs.rmSync(dir, { recursive: true, force: true });
    execFileSync(cli, ['run', '--model', 'use-lite', ...batchSentences.flatMap((s) => ['--text', s]), '--dump', dir],
                 { encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] });
    const r = (name) => readNpy(path.join(dir, name));
    const viaCli = { ids: r('input_ids.npy'), att: r('attentions.npy'), hidden: r('last_hidden_state.npy'),
      embedding: r('sentence_embedding.npy') };
    check(JSON.stringify(Array.from(viaCli.ids.data)) === JSON.stringify(Array.from(ours.ids.data)),
          'attnscope-cli run --model use-lite: the same input_ids.npy');
    compareRun(`attnscope-cli run --model use-lite, batch of ${batchSentences.length}`, viaCli, theirs);
  }

  // An empty sentence first in a batch: every key is padding (uniform weights), pooling gives tanh(bias).
  const withEmpty = ['', 'Hello there.'];
  compareRun('batch with an empty sentence', engineRun(withEmpty, 'empty'),
             await runGraph(model, withEmpty.map((s) => tokenizer.encode(s))));

  // 3. What a user sees first: similar sentences score high.
  const d = ours.embedding.shape[1];
  const pairs = [[1, 2], [3, 4], [0, 3], [1, 4]];
  for (const [i, j] of pairs)
    console.log(`  cos(${JSON.stringify(batchSentences[i])}, ${JSON.stringify(batchSentences[j])}) = ` +
                `engine ${cosine(ours.embedding, i, ours.embedding, j, d).toFixed(4)}, ` +
                `TensorFlow.js ${cosine(theirs.embedding, i, theirs.embedding, j, d).toFixed(4)}`);
  check(cosine(ours.embedding, 1, ours.embedding, 2, d) > cosine(ours.embedding, 1, ours.embedding, 4, d) &&
        cosine(ours.embedding, 3, ours.embedding, 4, d) > cosine(ours.embedding, 0, ours.embedding, 3, d),
        'paraphrases score higher than unrelated pairs');

  console.log(failures === 0 ? 'all checks hold' : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
