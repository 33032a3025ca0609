const control = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("");

/** Strings that must survive COPY text encoding byte for byte. */
export const TRICKY = [
  "",
  "plain",
  'it\'s "quoted"',
  "back\\slash \\\\ double \\N \\. \\x41",
  "tab\there",
  "new\nline",
  "carriage\rreturn\r\n",
  control,
  "\x7f delete",
  "NULL",
  "null",
  "{braces},comma",
  " leading and trailing ",
  "'; DROP TABLE route_history; --",
  "$$ dollar $tag$ E'\\n'",
  "ünïcödé Ελληνικά 日本語 עברית",
  "astral 😀🇩🇪 e\u0301",
  "\ufffd already a replacement",
];
