import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOpcUaProtocol, parseOpcUaVisitor } from './opcua-config.ts';

const W = 'Device default/b spec.protocol.configData';
const V = 'Device default/b property t visitors.configData';

test('the crds example protocol config parses; security defaults to None/None', () => {
  assert.deepEqual(
    parseOpcUaProtocol(
      { url: 'opc.tcp://127.0.0.1:4840', securityPolicy: 'None', securityMode: 'None', timeout: 5000 },
      W,
    ),
    {
      url: 'opc.tcp://127.0.0.1:4840',
      securityPolicy: 'None',
      securityMode: 'None',
      timeoutMs: 5000,
    },
  );
  const c = parseOpcUaProtocol({ url: 'opc.tcp://plc:4840/UA/Server' }, W);
  assert.deepEqual([c.securityPolicy, c.securityMode, c.timeoutMs], ['None', 'None', 5000]);
});

test('security policy and mode: names, aliases, URIs, and the implied half of the pair', () => {
  const p = (data: Record<string, unknown>) => {
    const c = parseOpcUaProtocol({ url: 'opc.tcp://h:1', ...data }, W);
    return [c.securityPolicy, c.securityMode];
  };
  assert.deepEqual(p({ securityPolicy: 'basic256sha256' }), ['Basic256Sha256', 'SignAndEncrypt']);
  assert.deepEqual(p({ securityMode: 'Sign' }), ['Basic256Sha256', 'Sign']);
  assert.deepEqual(p({ securityPolicy: 'Aes128Sha256RsaOaep', securityMode: 'Sign' }), [
    'Aes128_Sha256_RsaOaep',
    'Sign',
  ]);
  assert.deepEqual(p({ securityPolicy: 'http://opcfoundation.org/UA/SecurityPolicy#Aes256_Sha256_RsaPss' }), [
    'Aes256_Sha256_RsaPss',
    'SignAndEncrypt',
  ]);
  assert.throws(
    () => p({ securityPolicy: 'Basic999' }),
    /securityPolicy is "Basic999"; expected one of None, Basic128Rsa15/,
  );
  assert.throws(
    () => p({ securityMode: 'Encrypt' }),
    /securityMode is "Encrypt"; expected one of None, Sign, SignAndEncrypt/,
  );
  assert.throws(
    () => p({ securityPolicy: 'None', securityMode: 'Sign' }),
    /securityMode Sign with securityPolicy None is not a valid pair/,
  );
});

test('user name authentication needs both halves; password and passwordFile exclude each other', () => {
  const c = parseOpcUaProtocol({ url: 'opc.tcp://h:1', userName: 'op', password: 's3cret' }, W);
  assert.deepEqual([c.userName, c.password], ['op', 's3cret']);
  assert.equal(
    parseOpcUaProtocol({ url: 'opc.tcp://h:1', userName: 'op', passwordFile: '/run/secrets/pw' }, W)
      .passwordFile,
    '/run/secrets/pw',
  );
  assert.throws(
    () => parseOpcUaProtocol({ url: 'opc.tcp://h:1', userName: 'op' }, W),
    /userName "op" needs password/,
  );
  assert.throws(
    () => parseOpcUaProtocol({ url: 'opc.tcp://h:1', password: 'x' }, W),
    /password is set but userName is not/,
  );
  assert.throws(
    () => parseOpcUaProtocol({ url: 'opc.tcp://h:1', userName: 'op', password: 'x', passwordFile: '/p' }, W),
    /password or passwordFile, not both/,
  );
  assert.throws(
    () => parseOpcUaProtocol({ url: 'opc.tcp://h:1', certificate: '/c.pem' }, W),
    /certificate and privateKey go together/,
  );
});

test('protocol errors name the field', () => {
  assert.throws(() => parseOpcUaProtocol({}, W), /configData\.url is required: the OPC UA endpoint/);
  assert.throws(
    () => parseOpcUaProtocol({ url: 'http://h:4840' }, W),
    /must look like opc\.tcp:\/\/host:port/,
  );
  assert.throws(
    () => parseOpcUaProtocol({ url: 'opc.tcp://h:1', timeout: -1 }, W),
    /timeout must be an integer of at least 1/,
  );
});

test('visitor: nodeID forms, subscription defaults, write type from the model or dataType', () => {
  assert.deepEqual(
    parseOpcUaVisitor({ nodeID: 'ns=1;s=Boiler.Temperature', browseName: 'Temperature' }, 'DOUBLE', 2000, V),
    {
      nodeId: 'ns=1;s=Boiler.Temperature',
      browseName: 'Temperature',
      subscribe: false,
      samplingIntervalMs: 2000,
      writeType: 'Double',
    },
  );
  for (const id of [
    'i=2258',
    'ns=2;i=5',
    'ns=3;g=09087e75-8e5e-499b-954f-f2a9603db28a',
    'ns=4;b=AQID',
    'nsu=urn:x;s=a b',
  ]) {
    assert.equal(parseOpcUaVisitor({ nodeId: id }, 'INT', 1000, V).nodeId, id);
  }
  const sub = parseOpcUaVisitor(
    { nodeID: 'ns=1;i=7', subscribe: 'true', samplingInterval: 50, dataType: 'uint16' },
    'INT',
    1000,
    V,
  );
  assert.deepEqual([sub.subscribe, sub.samplingIntervalMs, sub.writeType], [true, 50, 'UInt16']);
  assert.equal(parseOpcUaVisitor({ nodeID: 'i=1' }, 'BOOLEAN', 1, V).writeType, 'Boolean');
  assert.equal(parseOpcUaVisitor({ nodeID: 'i=1' }, 'INT', 1, V).writeType, 'Int32');
  assert.equal(parseOpcUaVisitor({ nodeID: 'i=1' }, 'FLOAT', 1, V).writeType, 'Float');
  assert.equal(parseOpcUaVisitor({ nodeID: 'i=1' }, 'STRING', 1, V).writeType, 'String');
  assert.equal(parseOpcUaVisitor({ nodeID: 'i=1' }, 'BYTES', 1, V).writeType, undefined);
});

test('visitor errors: a missing or malformed node id, a bad data type', () => {
  assert.throws(() => parseOpcUaVisitor({}, 'INT', 1, V), /nodeID is required/);
  assert.throws(
    () => parseOpcUaVisitor({ nodeID: 'ns=1,i=1005' }, 'INT', 1, V),
    /is not an OPC UA node id.*semicolon, not a comma/,
  );
  assert.throws(
    () => parseOpcUaVisitor({ nodeID: 'Boiler.Temperature' }, 'INT', 1, V),
    /use the form ns=<index>;s=<name>/,
  );
  assert.throws(
    () => parseOpcUaVisitor({ nodeID: 'i=1', dataType: 'Decimal' }, 'INT', 1, V),
    /dataType is "Decimal"/,
  );
  assert.throws(
    () => parseOpcUaVisitor({ nodeID: 'i=1', subscribe: 'sometimes' }, 'INT', 1, V),
    /subscribe must be true or false/,
  );
});
