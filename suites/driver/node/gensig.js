#!/usr/bin/env node
// Prints a UserSig made by the reference generator (npm tls-sig-api-v2), for
// cross-checking the Go implementation in mockserver/usersig.
//
// Usage: node gensig.js <sdkappid> <secret> <identifier> <expireSeconds> [nowUnixSeconds]
// nowUnixSeconds (optional) pins TLS.time so the output is reproducible.
'use strict';

const [sdkappid, secret, identifier, expire, now] = process.argv.slice(2);
if (!sdkappid || secret === undefined || identifier === undefined || !expire) {
  process.stderr.write('usage: node gensig.js <sdkappid> <secret> <identifier> <expireSeconds> [nowUnixSeconds]\n');
  process.exit(2);
}
if (now !== undefined) {
  const ms = Number(now) * 1000;
  Date.now = () => ms; // the library reads the clock only through Date.now()
}
const { Api } = require('tls-sig-api-v2');
process.stdout.write(new Api(Number(sdkappid), secret).genUserSig(identifier, Number(expire)) + '\n');
