// One KINK engine serving one UdpTransport: the transport's batches go to the driver
// (driver.receive → engine.receive, one WASM crypto batch per socket read burst), and the
// driver's datagrams go out through the transport (replies leave from the socket the request
// came in on, chosen by `from` [RFC 4430 §9]). Nothing else lives here: decoding, retransmission
// and errors are the engine's, sockets and their errors the transport's (a bind failure rejects
// `open` with its TransportError as it is).
//
// The caller builds the driver from the `send` handed to it rather than this module building it
// from KinkDriverOptions: the driver takes `send` at construction and the transport takes its
// batch callback at open, so one of the two has to be handed to the other; a factory keeps both
// typed and non-null, and lets a caller put something between the driver and the wire (tests
// drop, duplicate or hold datagrams there) without a hook in this module.

import type { KinkDriver } from "../kink/driver.ts";
import type { OutboundDatagram } from "../kink/types.ts";
import { type BoundEndpoint, UdpTransport, type UdpTransportOptions, type UdpTransportStats } from "./udp-transport.ts";

/** What a KinkDriver takes as `send`: hands datagrams to the endpoint's sockets (never throws). */
export type SendDatagrams = (datagrams: readonly OutboundDatagram[]) => void;

export class KinkEndpoint {
  readonly driver: KinkDriver;
  readonly #transport: UdpTransport;
  #closing: Promise<void> | undefined;

  /**
   * Binds the transport, then builds the driver with `makeDriver(send)`. Rejects with the
   * transport's TransportError if a socket cannot be bound (no driver is built then), or with
   * what `makeDriver` threw (the sockets are closed again first).
   */
  static async open(opts: UdpTransportOptions, makeDriver: (send: SendDatagrams) => KinkDriver): Promise<KinkEndpoint> {
    let driver: KinkDriver | undefined;
    // Datagrams are read in the event loop's poll phase, and `driver` is assigned in the
    // microtasks that follow open's resolution, before the loop gets there: every batch finds it set.
    const transport = await UdpTransport.open(opts, (batch) => driver!.receive(batch));
    try {
      driver = makeDriver((datagrams) => transport.send(datagrams));
    } catch (error) {
      await transport.close();
      throw error;
    }
    return new KinkEndpoint(transport, driver);
  }

  private constructor(transport: UdpTransport, driver: KinkDriver) {
    this.#transport = transport;
    this.driver = driver;
  }

  /** The bound sockets' addresses and actual ports (port 0 was asked for: the ephemeral ones). */
  get endpoints(): readonly BoundEndpoint[] {
    return this.#transport.endpoints;
  }

  get stats(): Readonly<UdpTransportStats> {
    return this.#transport.stats;
  }

  /** Stops the driver (timer, sink subscription), then releases the ports; repeated calls share the first. */
  close(): Promise<void> {
    // The driver first, so no timer or finished sink/ticket job hands datagrams to sockets
    // being closed; a batch still queued in the transport is dropped (counted) by its close.
    this.#closing ??= (async () => {
      this.driver.close();
      await this.#transport.close();
    })();
    return this.#closing;
  }
}
