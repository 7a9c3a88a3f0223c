// Integration tests of `flywheel serve` driven by the official OpenAI and Ollama JavaScript
// clients, plus raw fetch() for errors, auth, disconnects and queue overflow.
//
// Needs: FLYWHEEL_BIN (the built binary; default ../../build/flywheel), FLYWHEEL_DATA (the
// shared data dir; default ../../../shared), and `npm ci` run in this directory.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { Ollama } from 'ollama';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.FLYWHEEL_BIN || path.resolve(here, '../../build/flywheel');
const DATA = process.env.FLYWHEEL_DATA || path.resolve(here, '../../../shared');
const MODEL = 'stories260K';
// llama.cpp's greedy continuation of "Once upon a time" (shared/reference/greedy): every
// greedy output for that prompt must be a prefix of it.
const REFERENCE = JSON.parse(fs.readFileSync(path.join(DATA, 'reference/greedy/stories260K.json'), 'utf8'))
  .results.find((r) => r.prompt === 'Once upon a time').text;
function assertReferencePrefix(text) {
  assert.ok(text.length >= 20 && REFERENCE.startsWith(text), `${JSON.stringify(text)} is not a prefix of the llama.cpp reference`);
}

function makeModelsDir(names) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fw-js-'));
  for (const n of names) fs.symlinkSync(path.join(DATA, 'models', `${n}.gguf`), path.join(dir, `${n}.gguf`));
  return dir;
}

// Starts `flywheel serve` on a free loopback port; resolves to {url, proc, dir, stop()}.
function startServer(extraArgs = [], models = [MODEL, 'tiny-qwen2-f16']) {
  const dir = makeModelsDir(models);
  const defaults = extraArgs.includes('--ctx') ? [] : ['--ctx', '512'];
  const args = ['serve', '--models-dir', dir, '--port', '0', '-t', '1', ...defaults, ...extraArgs];
  const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20000);
    proc.stderr.on('data', (d) => {
      err += d.toString();
      const m = err.match(/listening on (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1], proc, dir,
          stop: () => new Promise((res) => {
            proc.once('exit', () => { fs.rmSync(dir, { recursive: true, force: true }); res(); });
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited (${code}): ${err}`)); });
  });
}

async function metric(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

let srv, openai, ollama;
before(async () => {
  srv = await startServer(['--parallel', '8']);
  openai = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  ollama = new Ollama({ host: srv.url });
});
after(async () => { if (srv) await srv.stop(); });

describe('OpenAI client', () => {
  test('models.list names the files of the models dir', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), [MODEL, 'tiny-qwen2-f16']);
  });

  test('chat completion, and streaming gives the same text', async () => {
    const req = { model: MODEL, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 16, temperature: 0 };
    const r = await openai.chat.completions.create(req);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.ok(r.choices[0].message.content.length > 0);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 16);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 16);
    let text = '';
    let finish = null;
    let usage = null;
    const stream = await openai.chat.completions.create({ ...req, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(text, r.choices[0].message.content);
    assert.equal(finish, 'length');
    assert.equal(usage.completion_tokens, 16);
  });

  test('chat logprobs and json_object', async () => {
    const r = await openai.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3,
    });
    const lp = r.choices[0].logprobs.content;
    assert.equal(lp.length, 5);
    for (const t of lp) {
      assert.ok(t.logprob <= 0);
      assert.equal(t.top_logprobs.length, 3);
      assert.ok(t.top_logprobs[0].logprob >= t.logprob - 1e-6);
    }
    const j = await openai.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Give JSON' }], max_tokens: 60, temperature: 0,
      response_format: { type: 'json_object' },
    });
    const out = j.choices[0].message.content;
    assert.match(out, /^\s*\{/);
    if (j.choices[0].finish_reason === 'stop') assert.doesNotThrow(() => JSON.parse(out));
  });

  test('completions with echo and logprobs score the prompt', async () => {
    const r = await openai.completions.create({
      model: MODEL, prompt: 'Once upon a time, there was', max_tokens: 0, echo: true, logprobs: 1, temperature: 0,
    });
    const lp = r.choices[0].logprobs;
    assert.equal(r.choices[0].text, 'Once upon a time, there was');
    assert.equal(lp.tokens.length, r.usage.prompt_tokens);
    assert.equal(lp.token_logprobs[0], null);
    for (const v of lp.token_logprobs.slice(1)) assert.ok(v <= 0);
    const g = await openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, logprobs: 2 });
    assertReferencePrefix(g.choices[0].text);
    assert.equal(g.choices[0].logprobs.tokens.length, 8);
    let streamed = '';
    for await (const c of await openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, stream: true }))
      streamed += c.choices[0]?.text ?? '';
    assert.equal(streamed, g.choices[0].text);
  });

  test('embeddings are unit vectors', async () => {
    const r = await openai.embeddings.create({ model: MODEL, input: ['The cat sat.', 'A dog ran.'] });
    assert.equal(r.data.length, 2);
    for (const d of r.data) {
      const norm = Math.sqrt(d.embedding.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(norm - 1) < 1e-4, `norm ${norm}`);
    }
    const q = await openai.embeddings.create({ model: 'tiny-qwen2-f16', input: 'hello world' });
    assert.equal(q.data[0].embedding.length, 96);
  });

  test('unknown model is a 404 NotFoundError', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e.status === 404 && /not found/.test(e.message));
  });
});

describe('Ollama client', () => {
  test('list, show, ps, version', async () => {
    const l = await ollama.list();
    assert.ok(l.models.some((m) => m.name === `${MODEL}:latest`));
    const s = await ollama.show({ model: MODEL });
    assert.equal(s.details.format, 'gguf');
    assert.equal(s.model_info['general.architecture'], 'llama');
    const p = await ollama.ps();
    assert.ok(p.models.some((m) => m.name === `${MODEL}:latest`));
    const v = await ollama.version();
    assert.match(v.version, /^\d+\.\d+\.\d+/);
  });

  test('generate (raw) and streaming chat', async () => {
    const g = await ollama.generate({ model: MODEL, prompt: 'Once upon a time', raw: true, stream: false, options: { temperature: 0, num_predict: 8 } });
    assertReferencePrefix(g.response);
    assert.equal(g.done, true);
    assert.equal(g.eval_count, 8);
    assert.ok(g.total_duration > 0 && g.eval_duration > 0);
    let text = '';
    let last;
    for await (const part of await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }], stream: true, options: { temperature: 0, num_predict: 6 } })) {
      text += part.message.content;
      last = part;
    }
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'length');
    const whole = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Hello' }], stream: false, options: { temperature: 0, num_predict: 6 } });
    assert.equal(whole.message.content, text);
  });

  test('embed', async () => {
    const e = await ollama.embed({ model: MODEL, input: ['one', 'two'] });
    assert.equal(e.embeddings.length, 2);
    assert.equal(e.embeddings[0].length, 64);
  });

  test('`flywheel ps` lists the loaded model', async () => {
    await ollama.generate({ model: MODEL, prompt: '' });
    const out = execFileSync(BIN, ['ps', '--host', srv.url], { encoding: 'utf8' });
    assert.match(out, /^NAME\s+SIZE/);
    assert.match(out, new RegExp(`${MODEL}:latest`));
  });

  test('unknown model error', async () => {
    await assert.rejects(ollama.generate({ model: 'nope', prompt: 'x', stream: false }), (e) => e.status_code === 404 || /not found/.test(e.message));
  });
});

describe('raw HTTP', () => {
  const post = (p, body, headers = {}) => fetch(`${srv.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test('malformed JSON, wrong types, empty messages, invalid UTF-8 -> 400 with an error object', async () => {
    const bodies = [
      '{oops', JSON.stringify({ model: MODEL, messages: 'x' }), JSON.stringify({ model: MODEL, messages: [] }),
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }),
      Buffer.concat([Buffer.from(`{"model":"${MODEL}","messages":[{"role":"user","content":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]),
    ];
    for (const b of bodies) {
      const r = await post('/v1/chat/completions', b);
      assert.equal(r.status, 400);
      const j = await r.json();
      assert.equal(typeof j.error.message, 'string');
      assert.ok('type' in j.error && 'param' in j.error && 'code' in j.error);
    }
    assert.equal((await fetch(`${srv.url}/health`)).status, 200);
  });

  test('prompt + max_tokens beyond the context -> 400 that says so', async () => {
    const r = await post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'x', max_tokens: 5000 }));
    assert.equal(r.status, 400);
    assert.match((await r.json()).error.message, /context/);
  });

  test('body over --max-body -> 413', async () => {
    const r = await post('/v1/chat/completions', 'x'.repeat(20 << 20));
    assert.equal(r.status, 413);
  });

  test('a client that disconnects mid-stream frees its sequence', async () => {
    const ac = new AbortController();
    const r = await post('/v1/completions', JSON.stringify({ model: MODEL, prompt: 'Once', max_tokens: 500, temperature: 0, stream: true }), {});
    const reader = r.body.getReader();
    await reader.read();
    await reader.cancel();
    ac.abort();
    let running = 1;
    for (let i = 0; i < 100 && running !== 0; ++i) {
      await new Promise((res) => setTimeout(res, 20));
      running = await metric(srv.url, 'flywheel_requests_running');
    }
    assert.equal(running, 0);
    assert.equal(await metric(srv.url, 'flywheel_kv_cache_usage_ratio'), 0);
  });
});

describe('limits', () => {
  test('--api-key: 401 without the bearer token, 200 with it', async () => {
    const s = await startServer(['--api-key', 'k3y'], [MODEL]);
    try {
      assert.equal((await fetch(`${s.url}/v1/models`)).status, 401);
      assert.equal((await fetch(`${s.url}/v1/models`, { headers: { authorization: 'Bearer bad' } })).status, 401);
      assert.equal((await fetch(`${s.url}/health`)).status, 200);
      const ok = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'k3y', maxRetries: 0 });
      const r = await ok.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
      assert.equal(r.usage.completion_tokens, 2);
      const bad = new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'nope', maxRetries: 0 });
      await assert.rejects(bad.models.list(), (e) => e.status === 401);
      const ol = new Ollama({ host: s.url, headers: { Authorization: 'Bearer k3y' } });
      assert.ok((await ol.list()).models.length === 1);
    } finally {
      await s.stop();
    }
  });

  test('more than --max-queue waiting -> 503 with Retry-After', async () => {
    const s = await startServer(['--parallel', '1', '--max-queue', '1', '--ctx', '512'], [MODEL]);
    try {
      const body = JSON.stringify({ model: MODEL, prompt: 'Once upon a time', max_tokens: 400, temperature: 0 });
      const rs = await Promise.all(Array.from({ length: 6 }, () => fetch(`${s.url}/v1/completions`, { method: 'POST', body })));
      const codes = rs.map((r) => r.status);
      assert.ok(codes.includes(200), codes.join());
      assert.ok(codes.includes(503), codes.join());
      for (const r of rs) if (r.status === 503) assert.equal(r.headers.get('retry-after'), '1');
      await Promise.all(rs.map((r) => r.text()));
    } finally {
      await s.stop();
    }
  });
});
