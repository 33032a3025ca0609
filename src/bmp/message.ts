/**
 * A decoded BMP message of any type, flattened for output: the common header fields,
 * the per-peer header (`peer`) where the type has one, and the body's fields.
 *
 * @module
 */

import type { BgpUpdate } from "../bgp/update.ts";
import type { BmpMessageName } from "./constants.ts";
import type { Initiation, Termination } from "./initiation.ts";
import type { PeerDown } from "./peer_down.ts";
import type { PeerUp } from "./peer_up.ts";
import type { PerPeerHeader } from "./per_peer_header.ts";
import type { RouteMirroring } from "./route_mirroring.ts";
import type { RouteMonitoringTlv } from "./route_monitoring.ts";
import type { StatisticsReport } from "./statistics_report.ts";

/** Fields every message has. */
export interface BmpMessageBase {
  kind: BmpMessageName;
  version: number;
  length: number;
  /** Offset of the message in its stream. */
  offset: number;
}

/** Route Monitoring. */
export interface RouteMonitoringMessage extends BmpMessageBase {
  kind: "route_monitoring";
  peer: PerPeerHeader;
  update: BgpUpdate;
  tlvs?: RouteMonitoringTlv[];
}

/** Statistics Report. */
export interface StatisticsReportMessage extends BmpMessageBase, StatisticsReport {
  kind: "statistics_report";
  peer: PerPeerHeader;
}

/** Peer Down Notification. */
export interface PeerDownMessage extends BmpMessageBase, PeerDown {
  kind: "peer_down";
  peer: PerPeerHeader;
}

/** Peer Up Notification. */
export interface PeerUpMessage extends BmpMessageBase, PeerUp {
  kind: "peer_up";
  peer: PerPeerHeader;
}

/** Initiation. */
export interface InitiationMessage extends BmpMessageBase, Initiation {
  kind: "initiation";
}

/** Termination. */
export interface TerminationMessage extends BmpMessageBase, Termination {
  kind: "termination";
}

/** Route Mirroring. */
export interface RouteMirroringMessage extends BmpMessageBase, RouteMirroring {
  kind: "route_mirroring";
  peer: PerPeerHeader;
}

/** Any BMP message. */
export type BmpMessage =
  | RouteMonitoringMessage
  | StatisticsReportMessage
  | PeerDownMessage
  | PeerUpMessage
  | InitiationMessage
  | TerminationMessage
  | RouteMirroringMessage;
