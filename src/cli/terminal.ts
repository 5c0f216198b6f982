/**
 * Everything the command line prints goes through `terminalSafe` (see processIo): file and class names come from
 * folders anyone can fill, and a name holding ESC could clear the screen, recolour the terminal or set its window
 * title (`convas report` printed them raw). Control characters other than newline and tab, DEL, the C1 controls and
 * the bidirectional overrides are written as `\uXXXX`, which also keeps --json output valid JSON.
 */

/** The progress bar's own "return and clear the line", the one control sequence Convas writes on purpose. */
export const CLEAR_LINE = '\r\x1b[2K';

// C0 controls but \t and \n, DEL, C1 controls, and the Unicode bidi embeddings, overrides and isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every unsafe character escaped; a leading CLEAR_LINE (written by the progress bar) is kept. */
export function terminalSafe(text: string): string {
  const lead = text.startsWith(CLEAR_LINE) ? CLEAR_LINE : '';
  return lead + text.slice(lead.length).replace(UNSAFE, escape);
}
