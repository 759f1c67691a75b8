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
 * Certificates are signed with Ed25519: anyone holding the public key (GET /verify/key) can check
 * one offline, and only the service can issue them. The key id (first 16 hex digits of the
 * public key's SHA-256) is stored with each certificate so keys can be told apart.
 */
export type CertificateSigner = {
  keyId: string;
  publicKeyPem: string;
  sign(content: string): string;
  /** False for a signature that does not match, or one made with another key. */
  verify(content: string, signature: string, keyId: string): boolean;
};

export function signerFromPrivateKey(privateKey: KeyObject): CertificateSigner {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("the certificate signing key must be Ed25519");
  const publicKey = createPublicKey(privateKey);
  const publicDer = publicKey.export({ type: "spki", format: "der" });
  const keyId = createHash("sha256").update(publicDer).digest("hex").slice(0, 16);
  return {
    keyId,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (content) => sign(null, Buffer.from(content, "utf8"), privateKey).toString("base64url"),
    verify: (content, signature, signedWith) =>
      signedWith === keyId &&
      verify(null, Buffer.from(content, "utf8"), publicKey, Buffer.from(signature, "base64url")),
  };
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/**
 * The configured key (CERTIFICATE_SIGNING_KEY, a PKCS#8 PEM), or else the one kept in the data
 * folder, made on first use: fine for one machine; a deployment of several sets the variable so
 * all of them sign and verify alike.
 */
export function loadCertificateSigner(source: { pem: string } | { file: string }): CertificateSigner {
  if ("pem" in source) return signerFromPrivateKey(createPrivateKey(source.pem));
  if (!existsSync(source.file)) {
    mkdirSync(dirname(source.file), { recursive: true });
    try {
      writeFileSync(source.file, generateSigningKeyPem(), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return signerFromPrivateKey(createPrivateKey(readFileSync(source.file, "utf8")));
}
