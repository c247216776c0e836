// Checks of PEM material shared by the client side (transport/tls-material.ts: a host's tls block)
// and the server side (web/tls.ts: the web config file), so both name the same faults alike.
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { errorMessage } from './errors.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** OpenSSL's reason without its code: "error:1E08010C:DECODER routines::unsupported" -> "DECODER routines::unsupported". */
export function opensslReason(err: unknown): string {
  return errorMessage(err).replace(/^error:[0-9A-F]+:/, '');
}

/** Why `pem` (named `what` in the message) is not a certificate Node can serve; undefined when it is. */
export function certProblem(pem: Buffer, what: string): string | undefined {
  try {
    createSecureContext({ cert: pem });
    return undefined;
  } catch (err) {
    return `${what} is not a PEM certificate: ${opensslReason(err)}`;
  }
}

/**
 * Why a CA bundle cannot verify anything: no certificate in it, or the first one that cannot be
 * read. createSecureContext() takes a `ca` without any certificate in silence (measured, Node 20).
 */
export function caBundleProblem(pem: Buffer, what: string): string | undefined {
  const blocks = pem.toString('latin1').match(PEM_CERT) ?? [];
  if (blocks.length === 0) return `${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `certificate ${i + 1} in ${what} cannot be read: ${opensslReason(err)}`;
    }
  }
  return undefined;
}
