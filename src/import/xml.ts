// Import: a streaming walk over XML with saxes. Each element the reader asks for is collected (with its children)
// and handed over whole; nothing else of the document is kept, so memory stays flat however large the file.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser } from 'saxes';
import { ImportError, type ReadProgress } from './records';

export interface XmlNode {
  /** Local name: the prefix is dropped, as exports differ in the prefixes they declare. */
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
  line: number;
  column: number;
}

export const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

/** The first child with this local name. */
export const child = (node: XmlNode, name: string): XmlNode | undefined => node.children.find((c) => c.name === name);
/** The trimmed text of the first child with this local name, or null when absent or empty. */
export function childText(node: XmlNode, name: string): string | null {
  const t = child(node, name)?.text.trim();
  return t ? t : null;
}
/** An attribute by local name (`dsq:id` is found as `id`). */
export function attr(node: XmlNode | undefined, name: string): string | null {
  if (!node) return null;
  for (const [k, v] of Object.entries(node.attrs)) if (localName(k) === name) return v;
  return null;
}

/**
 * Walks the document, collecting each element `wanted(path)` accepts (path: local names from the root, the element's
 * own last) and yielding what `onElement` makes of it. A document that is not well-formed, truncated included,
 * throws an ImportError with the line and column.
 */
export async function* walkXml<T>(
  input: Readable,
  wanted: (path: readonly string[]) => boolean,
  onElement: (node: XmlNode) => T | null,
  onProgress?: (p: ReadProgress) => void,
  totalBytes: number | null = null,
): AsyncGenerator<T> {
  const parser = new SaxesParser({ position: true });
  const path: string[] = [];
  // The element being collected and its open descendants; empty while outside any wanted element.
  const open: XmlNode[] = [];
  let ready: T[] = [];
  let sawRoot = false;
  const fail = (message: string): never => {
    throw new ImportError(`the XML is not well-formed: ${message.replace(/^.*?:\d+:\d+: /, '')}`, {
      line: parser.line,
      column: parser.column,
    });
  };
  parser.on('error', (err) => fail(err.message));
  parser.on('opentag', (tag) => {
    sawRoot = true;
    const name = localName(tag.name);
    path.push(name);
    if (open.length === 0 && !wanted(path)) return;
    const node: XmlNode = { name, attrs: tag.attributes as Record<string, string>, text: '', children: [], line: parser.line, column: parser.column };
    open[open.length - 1]?.children.push(node);
    open.push(node);
  });
  const addText = (t: string) => {
    const top = open[open.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => {
    path.pop();
    const node = open.pop();
    if (node && open.length === 0) {
      const made = onElement(node);
      if (made !== null) ready.push(made);
    }
  });

  let bytesRead = 0;
  // A chunk may end inside a multi-byte character; the decoder carries the rest over.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    bytesRead += buf.length;
    parser.write(decoder.write(buf));
    onProgress?.({ bytesRead, totalBytes });
    if (ready.length) {
      const batch = ready;
      ready = [];
      yield* batch;
    }
  }
  parser.write(decoder.end());
  parser.close();
  if (!sawRoot) fail('the file has no root element');
  yield* ready;
}
