// cspflow: validates an AsyncAPI document with the AsyncAPI project's own
// parser (@asyncapi/parser, with @asyncapi/avro-schema-parser registered so
// the Avro payloads are parsed too).
//
// @asyncapi/parser 3.x runs a custom format's validator only for AsyncAPI 2
// documents; in a 3.0 document it converts the Avro schemas without checking
// them. So this script also hands every Multi Format Schema Object whose
// schemaFormat is Avro to the avro-schema-parser's own validate() (Apache
// Avro rules as avsc implements them: type names, unions, defaults) and
// counts what it reports as errors.
//
//   node validate.js NODE_PREFIX FILE
//
// NODE_PREFIX is the directory where `npm ci` installed this folder's
// package-lock.json (outside the repository). Prints every diagnostic as
// "<severity> <code> <path>: <message>", then one line per channel with
// its address and message ids, one per operation, one per server (host,
// protocol, its Kafka binding's schemaRegistryUrl and schemaRegistryVendor)
// and one per message (name, payload format and type, its Kafka binding's
// schemaIdLocation, schemaIdPayloadEncoding, schemaLookupStrategy; "-"
// when not set). Exit 0 when the parser
// returned a document and no error diagnostic, 1 otherwise, 2 on usage.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

// Every {schemaFormat: <Avro>, schema: ...} of the document, validated by
// the avro-schema-parser; [{path, message}].
async function validateAvro(req, text) {
  const yaml = req('js-yaml');
  const { AvroSchemaParser } = req('@asyncapi/avro-schema-parser');
  const avro = AvroSchemaParser();
  const formats = new Set(avro.getMimeTypes());
  const found = [];
  const walk = (node, p) => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node) && formats.has(node.schemaFormat) &&
        'schema' in node) {
      found.push({ data: node.schema, path: [...p, 'schema'] });
    }
    for (const [k, v] of Object.entries(node)) walk(v, [...p, k]);
  };
  walk(yaml.load(text), []);
  const out = [];
  for (const input of found) {
    for (const r of await avro.validate(input)) {
      out.push({ path: input.path, message: r.message });
    }
  }
  console.log(`avro: ${found.length} Avro schema(s) validated`);
  return out;
}

async function main() {
  if (process.argv.length !== 4) {
    console.error('usage: node validate.js NODE_PREFIX FILE');
    return 2;
  }
  const [prefix, file] = process.argv.slice(2);
  const req = createRequire(path.join(path.resolve(prefix), 'package.json'));
  const { Parser, DiagnosticSeverity } = req('@asyncapi/parser');
  const { AvroSchemaParser } = req('@asyncapi/avro-schema-parser');
  const parser = new Parser();
  parser.registerSchemaParser(AvroSchemaParser());

  const text = fs.readFileSync(file, 'utf8');
  const avroErrors = await validateAvro(req, text);
  const { document, diagnostics } = await parser.parse(text, {
    source: path.resolve(file),
  });
  const names = { 0: 'error', 1: 'warning', 2: 'information', 3: 'hint' };
  let errors = 0;
  for (const d of diagnostics) {
    if (d.severity === DiagnosticSeverity.Error) errors++;
    console.log(`${names[d.severity] || d.severity} ${d.code} ` +
                `/${(d.path || []).join('/')}: ${d.message}`);
  }
  for (const e of avroErrors) {
    console.log(`error avro-schema /${e.path.join('/')}: ${e.message}`);
  }
  errors += avroErrors.length;
  if (!document || errors) {
    console.log(`invalid: ${errors} error diagnostic(s)` +
                (document ? '' : ', no document'));
    return 1;
  }
  for (const ch of document.channels()) {
    const ids = ch.messages().all().map((m) => m.id()).sort();
    console.log(`channel ${ch.id()} ${ch.address()} ${ids.join(',')}`);
  }
  for (const op of document.operations()) {
    const chans = op.channels().all().map((c) => c.id());
    console.log(`operation ${op.id()} ${op.action()} ${chans.join(',')} ` +
                `${op.messages().all().length}`);
  }
  // The Kafka bindings as the parser read them (schema registry: docs/
  // schemas.md): "-" for a field not set.
  const kafka = (o) => {
    const b = o.bindings().get('kafka');
    return b ? b.value() : {};
  };
  for (const s of document.servers()) {
    const b = kafka(s);
    console.log(`server ${s.id()} ${s.host()} ${s.protocol()} ` +
                `${b.schemaRegistryUrl || '-'} ${b.schemaRegistryVendor || '-'}`);
  }
  for (const m of document.messages()) {
    const p = m.payload();
    const b = kafka(m);
    console.log(`message ${m.id()} ${m.name() || '-'} ` +
                `${p ? p.schemaFormat() : '-'} ${p ? (p.type() || '-') : '-'} ` +
                `${b.schemaIdLocation || '-'} ${b.schemaIdPayloadEncoding || '-'} ` +
                `${b.schemaLookupStrategy || '-'}`);
  }
  console.log(`valid: AsyncAPI ${document.version()}, ` +
              `${diagnostics.length} non-error diagnostic(s)`);
  return 0;
}

main().then((rc) => { process.exitCode = rc; },
            (e) => { console.error(`validate.js: ${e.stack || e}`); process.exitCode = 1; });
