/**
 * `open`, called on first use and its promise shared; a failed open is forgotten, so the
 * next call tries again (a system store that was down at start is used once it is up).
 */
export function openOnce<T>(open: () => Promise<T>): () => Promise<T> {
  let opening: Promise<T> | undefined;
  return () => {
    if (!opening) {
      opening = open();
      opening.catch(() => {
        opening = undefined;
      });
    }
    return opening;
  };
}
