/** True when `url` names a PostgreSQL database (`[database] url`); empty means SQLite in the data dir. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
