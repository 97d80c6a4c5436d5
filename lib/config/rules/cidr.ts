/**
 * What an IPv4 CIDR block must be beyond its shape: four numbers from 0 to
 * 255, a prefix length from 0 to 32, and no host bits set. `10.40.3.7/20`
 * is not a network (EC2 rejects it, or worse, a route silently covers
 * 10.40.0.0/20); `999.20.0.0/16` and `/33` are not addresses at all.
 */

/** The expectation that `cidr` fails, or undefined when it is a real, aligned IPv4 network. */
export function ipv4CidrProblem(cidr: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (match === null) return 'an IPv4 CIDR block (a.b.c.d/n)';
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((octet) => octet > 255)) return 'an IPv4 address of four numbers from 0 to 255';
  if (bits > 32) return 'a prefix length from 0 to 32';
  const address = octets.reduce((n, octet) => n * 256 + octet, 0);
  const size = 2 ** (32 - bits);
  const network = Math.floor(address / size) * size;
  if (network !== address) {
    return `a network address with no host bits set (${formatAddress(network)}/${bits} for this range)`;
  }
  return undefined;
}

function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}

/**
 * For `z.string().regex(shape).superRefine(checkIpv4Cidr(shape))`: reports the
 * problem of a CIDR field whose text has the shape (the regex reports the others,
 * so a value gets one line, not two).
 */
export function checkIpv4Cidr(
  shape: RegExp,
): (
  cidr: string,
  ctx: { addIssue(issue: { code: 'custom'; input: unknown; message: string }): void },
) => void {
  return (cidr, ctx) => {
    if (!shape.test(cidr)) return;
    const problem = ipv4CidrProblem(cidr);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', input: cidr, message: problem });
  };
}
