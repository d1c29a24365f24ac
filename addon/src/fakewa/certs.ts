/**
 * The fake network's certificate chain. Baileys checks the server's Noise certificate against the
 * root key in its exported `WA_CERT_DETAILS`; the fake network signs its own chain with a per-process
 * test root and, in simulator mode only, swaps that root into the very object Baileys reads.
 */
import { Curve, proto, WA_CERT_DETAILS } from 'baileys';

export interface KeyPair {
  public: Uint8Array;
  private: Uint8Array;
}

/** WhatsApp's own root key, kept so tests can tell whether the test root is installed. */
export const PRODUCTION_ROOT_PUBLIC_KEY: Buffer = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);

const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const VALIDITY_SECONDS = 10 * 365 * 24 * 3600;

let testRoot: KeyPair | null = null;

/** The root key pair of this process's fake network; the same for every network in the process. */
export function testRootKeyPair(): KeyPair {
  testRoot ??= Curve.generateKeyPair();
  return testRoot;
}

/**
 * Makes Baileys trust the fake network's certificates. Call it only in simulator mode: afterwards
 * this process can no longer verify WhatsApp's real servers. Calling it again changes nothing.
 */
export function installTestRoot(): void {
  const root = testRootKeyPair();
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(root.public);
  WA_CERT_DETAILS.SERIAL = 0;
}

/** True when Baileys currently trusts this process's test root. */
export function isTestRootInstalled(): boolean {
  return testRoot !== null && Buffer.from(testRoot.public).equals(WA_CERT_DETAILS.PUBLIC_KEY);
}

export interface ServerIdentity {
  /** The Noise static key pair the server proves in its ServerHello. */
  staticKeyPair: KeyPair;
  /** The encoded `CertChain` sent (encrypted) in the ServerHello payload. */
  certChain: Uint8Array;
}

function signedCertificate(issuer: KeyPair, details: proto.CertChain.NoiseCertificate.IDetails): proto.CertChain.INoiseCertificate {
  const encoded = proto.CertChain.NoiseCertificate.Details.encode(details).finish();
  return { details: encoded, signature: Curve.sign(issuer.private, encoded) };
}

/**
 * A fresh server identity: an intermediate signed by the test root (issuer serial 0, the serial Baileys
 * expects of the root) and a leaf for the server's static key signed by the intermediate.
 */
export function createServerIdentity(): ServerIdentity {
  const root = testRootKeyPair();
  const intermediateKeys = Curve.generateKeyPair();
  const staticKeyPair = Curve.generateKeyPair();
  const notBefore = Math.floor(Date.now() / 1000) - 60;
  const notAfter = notBefore + VALIDITY_SECONDS;
  const intermediate = signedCertificate(root, {
    serial: INTERMEDIATE_SERIAL,
    issuerSerial: 0,
    key: intermediateKeys.public,
    notBefore,
    notAfter,
  });
  const leaf = signedCertificate(intermediateKeys, {
    serial: LEAF_SERIAL,
    issuerSerial: INTERMEDIATE_SERIAL,
    key: staticKeyPair.public,
    notBefore,
    notAfter,
  });
  return { staticKeyPair, certChain: proto.CertChain.encode({ intermediate, leaf }).finish() };
}
