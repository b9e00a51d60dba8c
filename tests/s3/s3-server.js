#!/usr/bin/env node
// An S3-compatible server on loopback for the archive transfer tests: s3rver (buckets and
// objects on disk) behind a check of each signed request's AWS Signature Version 4 made with
// the AWS SDK's own signer (@smithy/signature-v4). s3rver 3.7 accepts any V4 signature
// ("Signature version 4 calculation is unimplemented" in its authentication middleware),
// so without this check a wrong secret would go unnoticed. A request whose signature does
// not match gets S3's 403 SignatureDoesNotMatch; one whose body does not match its
// x-amz-content-sha256 or Content-MD5 has its connection cut (S3 answers
// XAmzContentSHA256Mismatch / BadDigest; a cut is enough for a test to see).
//
//   node s3-server.js --dir DIR --secret SECRET [--port 0] [--bucket NAME]...
//
// The access key id is s3rver's only account, S3RVER. Prints
// "s3 server listening on 127.0.0.1:PORT" once it takes requests; ends on SIGTERM.
'use strict';

const crypto = require('crypto');
const http = require('http');
const S3rver = require('s3rver');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Hash } = require('@smithy/hash-node');

function parseArgs(argv) {
  const out = { port: 0, buckets: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--dir') out.dir = value;
    else if (name === '--secret') out.secret = value;
    else if (name === '--port') out.port = Number(value);
    else if (name === '--bucket') out.buckets.push(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!out.dir || !out.secret) throw new Error('usage: s3-server.js --dir DIR --secret SECRET [--port N] [--bucket NAME]...');
  return out;
}

const ACCESS_KEY_ID = 'S3RVER';

function s3Error(res, status, code, message) {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>0</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// x-amz-date "20130524T000000Z" as a Date.
function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : null;
}

// Whether the Authorization header's signature is the one the SDK's signer computes with
// `secret` over the headers the request says it signed (a key id other than S3RVER is left
// to s3rver, which answers InvalidAccessKeyId).
async function signatureMatches(req, secret) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return false;
  const [, keyId, , region, service, signedHeaders, signature] = m;
  if (keyId !== ACCESS_KEY_ID) return true; // s3rver answers InvalidAccessKeyId
  const signingDate = parseAmzDate(req.headers['x-amz-date']);
  if (!signingDate) return false;
  const headers = {};
  for (const name of signedHeaders.split(';')) {
    if (name !== 'x-amz-date') headers[name] = req.headers[name] || '';
  }
  const url = new URL(req.url, 'http://placeholder');
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId: keyId, secretAccessKey: secret },
    region,
    service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false, // S3 signs the path as sent, encoded once
    applyChecksum: false,
  });
  const signed = await signer.sign(
    { method: req.method, protocol: 'http:', hostname: 'placeholder', path: url.pathname, query, headers },
    { signingDate },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
  return crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

// Hashes the body as s3rver reads it; a body that differs from its x-amz-content-sha256 or
// Content-MD5 has its connection cut before s3rver can answer.
function checkBodyWhileRead(req) {
  const declared = req.headers['x-amz-content-sha256'];
  const md5 = req.headers['content-md5'];
  const sha = crypto.createHash('sha256');
  const md = crypto.createHash('md5');
  const push = req.push;
  req.push = function (chunk, encoding) {
    if (chunk) {
      sha.update(chunk);
      md.update(chunk);
    } else {
      const shaOk = !/^[0-9a-f]{64}$/.test(declared || '') || sha.digest('hex') === declared;
      const mdOk = !md5 || md.digest('base64') === md5;
      if (!shaOk || !mdOk) {
        console.error(`body of ${req.method} ${req.url} does not match its ${shaOk ? 'Content-MD5' : 'x-amz-content-sha256'}`);
        req.socket.destroy();
        return false;
      }
    }
    return push.call(this, chunk, encoding);
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const s3 = new S3rver({
    directory: opts.dir,
    silent: true,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
  });
  await s3.configureBuckets();
  const app = s3.callback();
  const server = http.createServer((req, res) => {
    if (!req.headers.authorization) return app(req, res); // anonymous, as s3rver takes it
    checkBodyWhileRead(req); // before any chunk of the body arrives
    signatureMatches(req, opts.secret).then(
      (ok) => {
        if (ok) return app(req, res);
        // Read the body first, as S3 does, so the client gets to read the answer.
        req.resume();
        req.on('end', () =>
          s3Error(res, 403, 'SignatureDoesNotMatch',
            'The request signature we calculated does not match the signature you provided. Check your key and signing method.'),
        );
      },
      (err) => s3Error(res, 500, 'InternalError', String(err && err.message)),
    );
  });
  server.listen(opts.port, '127.0.0.1', () => {
    console.log(`s3 server listening on 127.0.0.1:${server.address().port}`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
