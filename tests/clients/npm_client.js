// Drive the real npm `stathat` 0.0.8 client against a running Eyrie (tests/test_clients.py).
//
// stdin: {"port": 8123, "timeout_ms": 10000, "calls": [{"fn": "trackEZCount", "args": ["ezkey", "stat", 1]}, ...]}
// Calls run one after another (the next starts when the previous callback fired), so stat creation
// order is deterministic. The callback is the library's own: it fires only from res.on('data'):
// Eyrie's default reply (StatHat's verbose 200) has a body, so it fires; a 204 (vb=0) would not.
// stdout: one JSON line per call, {"i": index, "fn": name, "status": code, "body": "..."}.
// Exit 0 when every callback arrived, 2 on timeout (the missing calls are reported on stderr).
'use strict';

const path = require('path');
const http = require('http');
const stathat = require(path.join(__dirname, 'node_modules', 'stathat'));

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { data += chunk; });
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const spec = JSON.parse(await readStdin());
  const port = spec.port;
  // The client hard-codes api.stathat.com and has no host option: rewrite where it connects.
  const original = http.request;
  http.request = function (options, callback) {
    options.hostname = '127.0.0.1';
    options.port = port;
    return original.call(http, options, callback);
  };

  const calls = spec.calls;
  const timer = setTimeout(() => {
    process.stderr.write(`timed out after ${spec.timeout_ms} ms; callbacks arrived for ${next} of ${calls.length}\n`);
    process.exit(2);
  }, spec.timeout_ms || 10000);

  let next = 0;
  function run() {
    if (next >= calls.length) {
      clearTimeout(timer);
      process.exit(0);
    }
    const index = next;
    const call = calls[index];
    let answered = false;
    stathat[call.fn](...call.args, (status, chunk) => {
      if (answered) return; // a body in several chunks calls back once per chunk
      answered = true;
      const body = Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      process.stdout.write(JSON.stringify({ i: index, fn: call.fn, status, body }) + '\n');
      next += 1;
      run();
    });
  }
  run();
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(1);
});
