import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Config } from '../config/load.js';
import { FerryError } from '../domain/errors.js';

/** A certificate chain and its private key, both PEM text, checked to belong together. */
export interface TlsPair {
  readonly cert: string;
  readonly key: string;
  /** The leaf certificate's serial number (hex, upper case), for logs. */
  readonly serial: string;
  /** When the leaf certificate expires (its notAfter, as OpenSSL prints it). */
  readonly validTo: string;
}

/** The two files of `[http] tls_cert`/`tls_key`, relative paths taken from the data dir. */
export function tlsFiles(config: Pick<Config, 'http' | 'dataDir'>): { readonly cert: string; readonly key: string } {
  return { cert: resolve(config.dataDir, config.http.tls_cert), key: resolve(config.dataDir, config.http.tls_key) };
}

/**
 * Reads and checks the PEM files of `[http] tls_cert` and `tls_key`: each must parse (the
 * certificate as X.509, the key unencrypted), and the key must be the certificate's (OpenSSL's
 * SSL_CTX_check_private_key, through `tls.createSecureContext`). Called at start and on SIGHUP.
 * @throws FerryError FERRY_CONFIG with one line naming the file and what to do.
 */
export function readTlsPair(config: Pick<Config, 'http' | 'dataDir'>): TlsPair {
  const files = tlsFiles(config);
  const cert = readPem(files.cert, 'tls_cert');
  const key = readPem(files.key, 'tls_key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw bad(`[http] tls_cert ${files.cert} holds no PEM certificate (${reason(err)}); give the server certificate, "-----BEGIN CERTIFICATE-----" first`, err);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    throw bad(`[http] tls_key ${files.key} holds no usable private key (${reason(err)}); give the unencrypted PEM key ("-----BEGIN PRIVATE KEY-----")`, err);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw bad(`[http] tls_key ${files.key} does not belong to the certificate in ${files.cert} (${reason(err)}); give the key the certificate was made for`, err);
  }
  return { cert, key, serial: leaf.serialNumber.toUpperCase(), validTo: leaf.validTo };
}

function readPem(file: string, setting: 'tls_cert' | 'tls_key'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : reason(err);
    throw bad(`[http] ${setting} ${file}: cannot read it (${why}); point it at a PEM file Ferry may read`, err);
  }
}

function bad(message: string, cause: unknown): FerryError {
  return new FerryError('FERRY_CONFIG', message, { cause });
}

function reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).replace(/^error:[0-9A-F]+:/, '').trim();
}
