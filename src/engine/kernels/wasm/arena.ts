const PAGE = 65536;
/** Every array starts on a 64-byte cache line (also keeps v128 accesses aligned). */
const ALIGN = 64;

/**
 * The arrays of one kernel call, laid out in the module's memory above its workspace. Each call starts again from
 * the bottom (begin), reserves its arrays (take), then makes sure the memory is large enough (commit). The memory
 * only ever grows, to the largest call seen so far, so a training loop stops growing it after its first step and
 * every later step reuses the same bytes: nothing is allocated per call.
 */
export class WasmArena {
  private top: number;
  private buffer: ArrayBuffer;
  /** Views of the whole memory, remade only when a grow replaces its buffer. */
  private f32: Float32Array;
  private i32: Int32Array;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly base: number,
  ) {
    this.top = base;
    this.buffer = memory.buffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** Bytes of memory the module holds now. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  begin(): void {
    this.top = this.base;
  }

  /** Reserves `count` 4-byte values; returns their byte address. */
  take(count: number): number {
    const at = this.top;
    this.top = Math.ceil((at + 4 * count) / ALIGN) * ALIGN;
    return at;
  }

  /** Grows the memory to hold everything taken since begin(); `op` names the kernel in the error if it cannot. */
  commit(op: string): void {
    const have = this.memory.buffer.byteLength;
    if (this.top > have) {
      try {
        this.memory.grow(Math.ceil((this.top - have) / PAGE));
      } catch (err) {
        const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
        throw new Error(
          `wasm kernels: ${op} needs ${mb(this.top)} of WebAssembly memory and the runtime refused to grow it beyond ${mb(have)}` +
            ` (${(err as Error).message}); use a smaller batch`,
        );
      }
    }
    if (this.memory.buffer !== this.buffer) {
      this.buffer = this.memory.buffer;
      this.f32 = new Float32Array(this.buffer);
      this.i32 = new Int32Array(this.buffer);
    }
  }

  /** Copies the first `count` values of src to byte address `at`. */
  write(at: number, src: Float32Array | Int32Array, count: number): void {
    const view = src instanceof Int32Array ? this.i32 : this.f32;
    view.set(src.length === count ? src : src.subarray(0, count), at >>> 2);
  }

  /** Copies `count` values from byte address `at` into the start of dst. */
  read(at: number, dst: Float32Array | Int32Array, count: number): void {
    const view = dst instanceof Int32Array ? this.i32 : this.f32;
    dst.set(view.subarray(at >>> 2, (at >>> 2) + count));
  }
}
