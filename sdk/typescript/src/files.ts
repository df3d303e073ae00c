/**
 * Files in and out: MIDI uploads as multipart forms, downloads to disk.
 *
 * Node's `fs` is imported only when a path is given, so the rest of the SDK also runs
 * where there is no file system (a browser, a worker) on bytes and Blobs.
 *
 * @module
 */

/** A MIDI file: its path, its bytes, or a Blob (a `File` keeps its name). */
export type MidiInput = string | Uint8Array | Blob;

/** `input` as a `File` named `filename` (default: the path's base name, else `fallback`). */
export async function midiFile(input: MidiInput, filename: string | undefined, fallback: string): Promise<File> {
  if (typeof input === "string") {
    const [{ readFile }, { basename }] = await Promise.all([import("node:fs/promises"), import("node:path")]);
    const bytes = await readFile(input).catch((cause: unknown) => {
      throw new Error(`Cannot read the MIDI file ${JSON.stringify(input)}: ${(cause as Error).message}`, { cause });
    });
    return new File([bytes], filename ?? basename(input), { type: "audio/midi" });
  }
  if (input instanceof Blob) {
    const name = filename ?? (input instanceof File && input.name ? input.name : fallback);
    return new File([input], name, { type: input.type || "audio/midi" });
  }
  return new File([new Uint8Array(input)], filename ?? fallback, { type: "audio/midi" }); // a copy: File takes no shared buffers
}

/** A multipart form of `fields`: Blobs as files, other values as text; null and undefined left out. */
export function toFormData(fields: Record<string, unknown>): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (value instanceof Blob) form.append(name, value, value instanceof File ? value.name : name);
    else form.append(name, String(value));
  }
  return form;
}

/** Write the body of `response` to `path` as it arrives (its folder made if missing); returns `path`. */
export async function saveBody(response: Response, path: string): Promise<string> {
  const [{ createWriteStream }, { mkdir }, { dirname }, { Readable }, { pipeline }] = await Promise.all([
    import("node:fs"), import("node:fs/promises"), import("node:path"), import("node:stream"), import("node:stream/promises"),
  ]);
  await mkdir(dirname(path), { recursive: true });
  if (response.body === null) throw new Error(`The answer for ${response.url} has no body to write to ${path}.`);
  await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), createWriteStream(path));
  return path;
}
