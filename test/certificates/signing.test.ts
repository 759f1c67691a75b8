import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadCertificateSigner, signerFromPrivateKey } from "../../src/certificates/signing.js";

const oldKey = generateKeyPairSync("ed25519");
const newKey = generateKeyPairSync("ed25519");

describe("the certificate signer", () => {
  const before = signerFromPrivateKey(oldKey.privateKey);
  const content = JSON.stringify({ holder: { idNumber: "1012345678" }, totals: { insuredMonths: 21 } });
  const signature = before.sign(content);

  it("verifies what it signed, and nothing altered", () => {
    expect(before.verify(content, signature, before.keyId)).toBe(true);
    expect(before.verify(content.replace("21", "22"), signature, before.keyId)).toBe(false);
  });

  it("after a rotation verifies the old key's certificates only when the old public key is retired into it", () => {
    const rotated = signerFromPrivateKey(newKey.privateKey, [oldKey.publicKey]);
    expect(rotated.keyId).not.toBe(before.keyId);
    expect(rotated.verify(content, signature, before.keyId)).toBe(true);
    expect(rotated.verify(content.replace("21", "22"), signature, before.keyId)).toBe(false);
    // The key id names the key to check against: the right signature under another id fails.
    expect(rotated.verify(content, signature, rotated.keyId)).toBe(false);
    expect(rotated.verify(rotated.sign(content), signature, before.keyId)).toBe(false);
    expect(rotated.verify(content, rotated.sign(content), rotated.keyId)).toBe(true);

    const forgetful = signerFromPrivateKey(newKey.privateKey);
    expect(forgetful.knowsKey(before.keyId)).toBe(false);
    expect(forgetful.verify(content, signature, before.keyId)).toBe(false);
  });

  it("lists the current key first, then the retired ones once each, never the current one as retired", () => {
    const rotated = signerFromPrivateKey(newKey.privateKey, [oldKey.publicKey, oldKey.publicKey, newKey.publicKey]);
    expect(rotated.keys.map(({ keyId, status }) => ({ keyId, status }))).toEqual([
      { keyId: rotated.keyId, status: "current" },
      { keyId: before.keyId, status: "retired" },
    ]);
    expect(rotated.keys[1]?.publicKeyPem).toBe(before.publicKeyPem);
  });

  it("is loaded from the configured PEMs, retired public keys included, as main.ts loads it", () => {
    const pem = (text: string | Buffer) => text.toString();
    const loaded = loadCertificateSigner(
      { pem: pem(newKey.privateKey.export({ type: "pkcs8", format: "pem" })) },
      pem(oldKey.publicKey.export({ type: "spki", format: "pem" })),
    );
    expect(loaded.keyId).toBe(signerFromPrivateKey(newKey.privateKey).keyId);
    expect(loaded.verify(content, signature, before.keyId)).toBe(true);
  });
});
