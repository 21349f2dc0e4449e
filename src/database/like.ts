/**
 * A case-insensitive "contains" LIKE pattern in which `%`, `_` and `\` match themselves
 * (use with `ESCAPE '\'` and a lower-cased column).
 */
export function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
