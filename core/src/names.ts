/**
 * Kubernetes object-name rules both sides need (apimachinery `validation.IsDNS1123Subdomain`):
 * node names are lower-case RFC 1123 subdomains of at most 253 characters.
 */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `name` is a lower-case RFC 1123 subdomain of 1–253 characters (a valid node name). */
export function isDns1123Subdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}
