import assert from 'node:assert/strict';
import dns from 'node:dns';
import net from 'node:net';
import { describe, it } from 'node:test';

import { Curve, proto, WA_CERT_DETAILS } from 'baileys';

import { createServerIdentity, installTestRoot, isTestRootInstalled, PRODUCTION_ROOT_PUBLIC_KEY, testRootKeyPair } from '../../src/fakewa/certs.js';
import { isCanonicalPlatformDisplay } from '../../src/fakewa/platforms.js';
import { installLoopbackGuard } from '../helpers/loopback-only.js';

describe('fake WhatsApp network certificates', () => {
  it('Baileys trusts WhatsApp until the test root is installed, then the test root, and installing twice changes nothing', () => {
    assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), PRODUCTION_ROOT_PUBLIC_KEY);
    assert.equal(isTestRootInstalled(), false);
    installTestRoot();
    const installed = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
    installTestRoot();
    assert.deepEqual(Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY), installed);
    assert.deepEqual(installed, Buffer.from(testRootKeyPair().public));
    assert.equal(isTestRootInstalled(), true);
  });

  it('the chain verifies the way Baileys checks it: intermediate by the root, leaf by the intermediate, issuer serial 0', () => {
    const { certChain, staticKeyPair } = createServerIdentity();
    const { intermediate, leaf } = proto.CertChain.decode(certChain);
    const intermediateDetails = proto.CertChain.NoiseCertificate.Details.decode(intermediate!.details!);
    assert.equal(intermediateDetails.issuerSerial, 0);
    assert.ok(Curve.verify(testRootKeyPair().public, intermediate!.details!, intermediate!.signature!));
    assert.ok(Curve.verify(intermediateDetails.key!, leaf!.details!, leaf!.signature!));
    const leafDetails = proto.CertChain.NoiseCertificate.Details.decode(leaf!.details!);
    assert.deepEqual(Buffer.from(leafDetails.key!), Buffer.from(staticKeyPair.public));
  });

  it('only "<browser> (<system>)" with names WhatsApp knows is a canonical platform', () => {
    assert.equal(isCanonicalPlatformDisplay('Chrome (Mac OS)'), true);
    assert.equal(isCanonicalPlatformDisplay('Firefox (Ubuntu)'), true);
    assert.equal(isCanonicalPlatformDisplay('Chrome (Home Assistant)'), false);
    assert.equal(isCanonicalPlatformDisplay('Home Assistant (Chrome)'), false);
    assert.equal(isCanonicalPlatformDisplay('Chrome'), false);
  });
});

describe('loopback-only guard', () => {
  it('fails a connect or DNS lookup outside the loopback interface and lets loopback through', async () => {
    const guard = installLoopbackGuard();
    try {
      assert.throws(() => net.connect({ host: '192.0.2.1', port: 443 }), /outside the loopback/);
      await assert.rejects(dns.promises.lookup('example.invalid'), /outside the loopback/);
      const server = net.createServer((socket) => socket.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve, reject) => net.connect({ host: '127.0.0.1', port }, resolve).once('error', reject));
      server.close();
      assert.deepEqual(guard.violations, ['192.0.2.1', 'example.invalid']);
      assert.throws(() => guard.assertClean(), /192\.0\.2\.1/);
    } finally {
      guard.restore();
    }
  });
});
