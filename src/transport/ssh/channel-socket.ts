import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';

/**
 * One ssh2 channel dressed as the socket http.Agent expects. The channel itself does not do:
 * its destroy() takes no error and leaves `destroyed` false, and it emits 'close' only after
 * its data was read, so a request aborted mid-response would never see its socket close.
 * This stream owns those semantics and keeps draining the channel after it is destroyed,
 * so ssh2 can finish the channel's close.
 */
export class ChannelSocket extends Duplex {
  constructor(private readonly channel: ClientChannel) {
    super({ allowHalfOpen: false });
    channel.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      if (!this.push(chunk)) channel.pause();
    });
    channel.on('end', () => {
      if (!this.destroyed) this.push(null);
    });
    channel.on('error', (err: Error) => this.destroy(err));
    channel.on('close', () => {
      // Give a reader one turn to take the end-of-stream; an idle kept-alive socket has
      // no reader, and must close now so the agent drops it instead of reusing a dead channel.
      setImmediate(() => {
        if (!this.destroyed) this.destroy();
      });
    });
  }

  override _read(): void {
    this.channel.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    // ssh2 never calls back for a write on a closed channel: fail it instead of hanging.
    if (!this.channel.writable) return cb(new Error('ssh channel closed'));
    this.channel.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.channel.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.channel.destroy(); // EOF + CLOSE to the server
    this.channel.resume(); // drain what is still coming, so the channel can close
    cb(err);
  }

  // What http.Agent calls on a net.Socket; none means anything on a channel.
  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}
