// Identicons drawn by the service from a per-site keyed hash: nothing e-mail-derived leaves the server.

/** A 5×5 mirrored grid in one colour; `hash` is hex. */
export function identiconSvg(hash: string): string {
  const bytes = Buffer.from(hash.padEnd(20, '0').slice(0, 20), 'hex');
  const hue = Math.round((bytes[0] / 255) * 360);
  const colour = `hsl(${hue} 55% 50%)`;
  const cells: string[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      const bit = (bytes[1 + ((row * 3 + col) >> 3)] >> ((row * 3 + col) & 7)) & 1;
      if (!bit) continue;
      cells.push(`<rect x="${col}" y="${row}" width="1" height="1"/>`);
      if (col < 2) cells.push(`<rect x="${4 - col}" y="${row}" width="1" height="1"/>`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" width="48" height="48">` +
    `<rect x="-0.5" y="-0.5" width="6" height="6" fill="hsl(${hue} 40% 94%)"/>` +
    `<g fill="${colour}">${cells.join('')}</g></svg>`
  );
}
