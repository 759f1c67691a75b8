import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Certificates are signed with Ed25519: anyone holding the public key (GET /verify/keys) can check
 * one offline, and only the service can issue them. The key id (first 16 hex digits of the
 * public key's SHA-256) is stored with each certificate, so after the signing key is replaced the
 * certificates signed before still verify against the retired public key. Retired keys are
 * trusted from configuration only, never from the database: a signature guards the stored content
 * against whoever could write to the database, who could also write a key there.
 */
export type SigningKey = {
  keyId: string;
  algorithm: "Ed25519";
  publicKeyPem: string;
  /** current: signs new certificates; retired: only verifies those signed before the rotation. */
  status: "current" | "retired";
};

export type CertificateSigner = {
  keyId: string;
  publicKeyPem: string;
  /** The current key first, then the retired ones in the order configured. */
  keys: SigningKey[];
  sign(content: string): string;
  /** False for a signature that does not match, or one made with a key this signer does not know. */
  verify(content: string, signature: string, keyId: string): boolean;
  knowsKey(keyId: string): boolean;
};

function ed25519PublicKey(publicKey: KeyObject): { keyId: string; publicKeyPem: string } {
  const publicDer = publicKey.export({ type: "spki", format: "der" });
  return {
    keyId: createHash("sha256").update(publicDer).digest("hex").slice(0, 16),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export function signerFromPrivateKey(
  privateKey: KeyObject,
  retiredPublicKeys: readonly KeyObject[] = [],
): CertificateSigner {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("the certificate signing key must be Ed25519");
  const currentPublicKey = createPublicKey(privateKey);
  const current = ed25519PublicKey(currentPublicKey);
  const verifiers = new Map<string, KeyObject>([[current.keyId, currentPublicKey]]);
  const keys: SigningKey[] = [
    { keyId: current.keyId, algorithm: "Ed25519", publicKeyPem: current.publicKeyPem, status: "current" },
  ];
  for (const publicKey of retiredPublicKeys) {
    if (publicKey.asymmetricKeyType !== "ed25519") throw new Error("a retired certificate key must be Ed25519");
    const retired = ed25519PublicKey(publicKey);
    if (verifiers.has(retired.keyId)) continue;
    verifiers.set(retired.keyId, publicKey);
    keys.push({ keyId: retired.keyId, algorithm: "Ed25519", publicKeyPem: retired.publicKeyPem, status: "retired" });
  }
  return {
    keyId: current.keyId,
    publicKeyPem: current.publicKeyPem,
    keys,
    sign: (content) => sign(null, Buffer.from(content, "utf8"), privateKey).toString("base64url"),
    verify: (content, signature, signedWith) => {
      const publicKey = verifiers.get(signedWith);
      return (
        publicKey !== undefined &&
        verify(null, Buffer.from(content, "utf8"), publicKey, Buffer.from(signature, "base64url"))
      );
    },
    knowsKey: (keyId) => verifiers.has(keyId),
  };
}

/**
 * The PEM blocks of CERTIFICATE_RETIRED_PUBLIC_KEYS, each an Ed25519 public key (SPKI). A private
 * key is refused: the point of retiring a key is that nothing signs with it again.
 */
export function parseRetiredPublicKeys(text: string): KeyObject[] {
  const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  if (blocks.length === 0) throw new Error("no PEM block found");
  return blocks.map(([block, label], index) => {
    if (label !== "PUBLIC KEY") throw new Error(`block ${index + 1} is a ${label}, not a PUBLIC KEY`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(block);
    } catch {
      throw new Error(`block ${index + 1} is not a readable public key`);
    }
    if (publicKey.asymmetricKeyType !== "ed25519") throw new Error(`block ${index + 1} is not an Ed25519 key`);
    return publicKey;
  });
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/**
 * The configured key (CERTIFICATE_SIGNING_KEY, a PKCS#8 PEM), or else the one kept in the data
 * folder, made on first use: fine for one machine; a deployment of several sets the variable so
 * all of them sign and verify alike. Retired public keys verify what was signed before a rotation.
 */
export function loadCertificateSigner(
  source: { pem: string } | { file: string },
  retiredPublicKeysPem?: string,
): CertificateSigner {
  const retired = retiredPublicKeysPem ? parseRetiredPublicKeys(retiredPublicKeysPem) : [];
  if ("pem" in source) return signerFromPrivateKey(createPrivateKey(source.pem), retired);
  if (!existsSync(source.file)) {
    mkdirSync(dirname(source.file), { recursive: true });
    try {
      writeFileSync(source.file, generateSigningKeyPem(), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return signerFromPrivateKey(createPrivateKey(readFileSync(source.file, "utf8")), retired);
}
