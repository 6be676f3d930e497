/**
 * A promise the test opens by hand: a hook awaits `held` (a receiver holding a package, GitHub
 * holding a tarball) until the test has arranged what must happen meanwhile, then calls `open()`.
 */
export function gate(): { held: Promise<void>; open: () => void } {
  let open!: () => void;
  const held = new Promise<void>((resolve) => (open = resolve));
  return { held, open };
}
