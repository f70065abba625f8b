/** C's ctype classes in the "C" locale, over byte values: what Lua 5.1's lexer and pattern matcher test. */
export const isDigit = (c: number): boolean => c >= 48 && c <= 57
export const isLower = (c: number): boolean => c >= 97 && c <= 122
export const isUpper = (c: number): boolean => c >= 65 && c <= 90
export const isAlpha = (c: number): boolean => isLower(c) || isUpper(c)
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c)
export const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)
export const isCntrl = (c: number): boolean => c < 32 || c === 127
export const isPunct = (c: number): boolean => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)
export const isXdigit = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
