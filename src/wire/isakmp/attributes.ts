// SA attributes of a Transform [RFC 2408 §3.3, RFC 2407 §4.5]: their wire form, the meaning
// the engine negotiates with (`transformView`), and racoon2's attribute order for the ones
// kinkd proposes (`buildTransformAttributes`, kink.md §11.1).

import { DROP, KinkError } from "../errors.ts";
import { NOTIFY_PAYLOAD_MALFORMED, type WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import { DEFAULT_LIFE_SECONDS, LifeType, SaAttributeClass, saAttributeClassName } from "./constants.ts";
import type { SaAttribute, Transform } from "./types.ts";
import { copyBytes, type Fail } from "./walk.ts";

/** Attribute Format bit: set = basic (TV), clear = variable (TLV) [RFC 2408 §3.3]. */
const AF_BASIC = 0x8000;
/** Transform payload octets before its first attribute: header, Transform#, Transform-ID, RESERVED2 [RFC 2408 §3.6]. */
export const TRANSFORM_ATTRIBUTES_AT = 8;

/** Reads attributes up to `r.end`. A 4-octet variable value is numeric; other lengths keep their octets. */
export function readAttributes(r: WireReader): SaAttribute[] {
  const attributes: SaAttribute[] = [];
  while (r.remaining > 0) {
    const word = r.u16("SA attribute.Type");
    const cls = word & ~AF_BASIC;
    if (word & AF_BASIC) {
      attributes.push({ class: cls, value: r.u16("SA attribute.Value"), form: "basic" });
      continue;
    }
    const length = r.u16("SA attribute.Length");
    if (length === 4) attributes.push({ class: cls, value: r.u32("SA attribute.Value"), form: "variable" });
    else attributes.push({ class: cls, bytes: copyBytes(r.bytesView(length, "SA attribute.Value")) });
  }
  return attributes;
}

export function writeAttributes(w: WireWriter, attributes: readonly SaAttribute[], fail: Fail): void {
  for (const a of attributes) {
    if (!Number.isInteger(a.class) || a.class < 0 || a.class >= AF_BASIC) fail("unencodable", "SA attribute.Type", `class ${a.class} is not 15 bits`);
    if ("bytes" in a) {
      if (a.bytes.length > 0xffff) fail("unencodable", "SA attribute.Length", `${a.bytes.length} octets exceed 16 bits`);
      w.u16(a.class).u16(a.bytes.length).bytes(a.bytes);
    } else if (a.form === "basic") {
      if (!isUint(a.value, 0xffff)) fail("unencodable", "SA attribute.Value", `${a.value} does not fit a basic attribute`);
      w.u16(AF_BASIC | a.class).u16(a.value);
    } else {
      if (!isUint(a.value, 0xffffffff)) fail("unencodable", "SA attribute.Value", `${a.value} does not fit 4 octets`);
      w.u16(a.class).u16(4).u32(a.value);
    }
  }
}

const isUint = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;

/** What a transform's attributes mean to the engine. */
export interface TransformView {
  /** From a seconds Life Type; DEFAULT_LIFE_SECONDS when the transform has no Life Type at all [RFC 2407 §4.5]. */
  readonly lifeSeconds?: number;
  readonly lifeKilobytes?: number;
  readonly encapsulationMode?: number;
  readonly authAlgorithm?: number;
  /** Bits [RFC 2407 §4.5]. */
  readonly keyLength?: number;
  readonly keyRounds?: number;
  readonly groupDescription?: number;
  /** 1 = 64-bit sequence numbers [RFC 4304 §2]. */
  readonly esn?: number;
  /**
   * Attributes kinkd does not interpret: unknown classes, IPCOMP's dictionary classes, a Life
   * Type of unknown unit with its Duration. RFC 2407 §4.5 gives them no default meaning, so
   * the engine should treat the transform as unacceptable rather than the payload as malformed.
   */
  readonly unknown: readonly SaAttribute[];
}

export type TransformSpec = Omit<TransformView, "unknown">;

/** The single-valued classes the view interprets, by field. */
const FIELD_OF_CLASS = new Map<number, keyof TransformSpec>([
  [SaAttributeClass.GROUP_DESCRIPTION, "groupDescription"],
  [SaAttributeClass.ENCAPSULATION_MODE, "encapsulationMode"],
  [SaAttributeClass.AUTH_ALGORITHM, "authAlgorithm"],
  [SaAttributeClass.KEY_LENGTH, "keyLength"],
  [SaAttributeClass.KEY_ROUNDS, "keyRounds"],
  [SaAttributeClass.EXTENDED_SEQUENCE_NUMBER, "esn"],
]);

const LIFE_FIELD = new Map<number, "lifeSeconds" | "lifeKilobytes">([
  [LifeType.SECONDS, "lifeSeconds"],
  [LifeType.KILOBYTES, "lifeKilobytes"],
]);

/**
 * Interprets attributes by the rules of RFC 2407 §4.5: a Life Duration immediately follows
 * its Life Type, each Life Type unit appears once, every other class at most once. A broken
 * rule is PAYLOAD-MALFORMED [RFC 4430 §5.5]; `offsets[i]` locates attribute i in errors.
 */
export function interpretAttributes(attributes: readonly SaAttribute[], offsets: readonly number[], fail: Fail): TransformView {
  const view: { -readonly [K in keyof TransformSpec]: number } = {};
  const unknown: SaAttribute[] = [];
  const seenClasses = new Set<number>();
  const seenLifeTypes = new Set<number>();
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
    const at = offsets[i];
    const name = `SA attribute ${saAttributeClassName(a.class)}`;
    if (a.class === SaAttributeClass.LIFE_DURATION) fail("bad-isakmp", name, "a Life Duration must follow a Life Type [RFC 2407 §4.5]", at);
    if (a.class === SaAttributeClass.LIFE_TYPE) {
      const unit = numericValue(a, name, fail, at);
      if (seenLifeTypes.has(unit)) fail("bad-isakmp", name, `Life Type ${unit} given twice [RFC 2407 §4.5]`, at);
      seenLifeTypes.add(unit);
      const duration = attributes[++i];
      if (duration?.class !== SaAttributeClass.LIFE_DURATION) fail("bad-isakmp", name, "a Life Type must be followed by its Life Duration [RFC 2407 §4.5]", at);
      const field = LIFE_FIELD.get(unit);
      if (field) view[field] = numericValue(duration, name, fail, offsets[i]);
      else unknown.push(a, duration);
      continue;
    }
    if (seenClasses.has(a.class)) fail("bad-isakmp", name, "attribute given twice in one transform", at);
    seenClasses.add(a.class);
    const field = FIELD_OF_CLASS.get(a.class);
    if (field) view[field] = numericValue(a, name, fail, at);
    else unknown.push(a);
  }
  if (seenLifeTypes.size === 0) view.lifeSeconds = DEFAULT_LIFE_SECONDS;
  return { ...view, unknown };
}

/** A value of any length as a number; RFC 2407 §4.5 lets a Life Duration use as many octets as it needs. */
function numericValue(a: SaAttribute, field: string, fail: Fail, at: number | undefined): number {
  if ("value" in a) return a.value;
  const value = a.bytes.reduce((acc, b) => acc * 256 + b, 0);
  if (!Number.isSafeInteger(value)) fail("bad-isakmp", field, `${a.bytes.length}-octet value is too large`, at);
  return value;
}

/** Offsets of each attribute, the first at `base`. */
export function attributeOffsets(attributes: readonly SaAttribute[], base: number): number[] {
  const offsets: number[] = [];
  let at = base;
  for (const a of attributes) {
    offsets.push(at);
    at += "bytes" in a ? 4 + a.bytes.length : a.form === "basic" ? 4 : 8;
  }
  return offsets;
}

/**
 * The engine's view of a transform it did not decode itself (decoding already applied these
 * rules). Error offsets are relative to the Transform payload's first octet.
 */
export function transformView(t: Transform): TransformView {
  const fail: Fail = (reason, field, detail, at = 0) => {
    throw new KinkError(reason, { kind: "notify", notifyType: NOTIFY_PAYLOAD_MALFORMED }, field, at, `${detail} (offset within the Transform payload)`);
  };
  return interpretAttributes(t.attributes, attributeOffsets(t.attributes, TRANSFORM_ATTRIBUTES_AT), fail);
}

/**
 * Attributes for a transform kinkd proposes, in racoon2's order (kink.md §11.1): Life Type
 * seconds + Duration, Life Type kilobytes + Duration, Encapsulation Mode, Key Length, Key
 * Rounds, Authentication Algorithm, Group Description, Extended Sequence Number (racoon2 sends
 * neither Key Rounds nor ESN nor Group Description). Values up to 0xFFFF are basic, larger
 * ones 4-octet variable, as RFC 2407 §4.5 allows only for Life Duration.
 */
export function buildTransformAttributes(spec: TransformSpec): SaAttribute[] {
  const out: SaAttribute[] = [];
  const put = (cls: number, value: number | undefined) => {
    if (value === undefined) return;
    if (!isUint(value, 0xffffffff))
      throw new KinkError("unencodable", DROP, `SA attribute ${saAttributeClassName(cls)}`, 0, `${value} is not a 32-bit unsigned value`);
    out.push({ class: cls, value, form: value <= 0xffff ? "basic" : "variable" });
  };
  for (const [unit, field] of LIFE_FIELD) {
    if (spec[field] === undefined) continue;
    put(SaAttributeClass.LIFE_TYPE, unit);
    put(SaAttributeClass.LIFE_DURATION, spec[field]);
  }
  put(SaAttributeClass.ENCAPSULATION_MODE, spec.encapsulationMode);
  put(SaAttributeClass.KEY_LENGTH, spec.keyLength);
  put(SaAttributeClass.KEY_ROUNDS, spec.keyRounds);
  put(SaAttributeClass.AUTH_ALGORITHM, spec.authAlgorithm);
  put(SaAttributeClass.GROUP_DESCRIPTION, spec.groupDescription);
  put(SaAttributeClass.EXTENDED_SEQUENCE_NUMBER, spec.esn);
  return out;
}
