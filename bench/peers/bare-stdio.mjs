// Baseline: bare Node reading newline-delimited JSON on stdin and writing a canned answer per line.
const answer = (id) =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"hello"}]}}\n`;
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl = buffer.indexOf('\n');
  while (nl !== -1) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line) process.stdout.write(answer(JSON.parse(line).id));
    nl = buffer.indexOf('\n');
  }
});
