// SA attributes of a Transform [RFC 2408 §3.3, RFC 2407 §4.5]: their wire form, the meaning
// the engine negotiates with (`transformView`), and racoon2's attribute order for the ones
// kinkd proposes (`buildTransformAttributes`, kink.md §11.1).

import { DROP, KinkError } from "../errors.ts";
import { NOTIFY_PAYLOAD_MALFORMED, type WireReader } from "../reader.ts";
import type { WireWriter } from "../writer.ts";
import { DEFAULT_LIFE_SECONDS, LifeType, SaAttributeClass, saAttributeClassName } from "./constants.ts";
import type { SaAttribute, Transform } from "./types.ts";
import type { Fail } from "./walk.ts";

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
    else attributes.push({ class: cls, bytes: r.keep(length, "SA attribute.Value") });
  }
  return attributes;
}

export function writeAttributes(w: WireWriter, attributes: readonly SaAttribute[], fail: Fail): void {
  // An index loop: a REPLY echoes a decoded transform, whose frozen array for…of would iterate
  // through allocated iterator results.
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
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

/** The view `checkAttributes` fills in, for a caller that wants more than the check. */
type Meanings = { -readonly [K in keyof TransformSpec]: TransformSpec[K] } & { readonly unknown: SaAttribute[] };

/**
 * Checks attributes against the rules of RFC 2407 §4.5: a Life Duration immediately follows
 * its Life Type, each Life Type unit appears once, every other class at most once. A broken
 * rule is PAYLOAD-MALFORMED [RFC 4430 §5.5]; errors locate the attribute, the first at `base`.
 * Decoding and encoding only check (`into` omitted); `transformView` also records meanings.
 */
export function checkAttributes(attributes: readonly SaAttribute[], base: number, fail: Fail, into?: Meanings): void {
  const seenClasses = SEEN_CLASSES.clear();
  const seenLifeTypes = SEEN_LIFE_TYPES.clear();
  let at = base;
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i]!;
    if (a.class === SaAttributeClass.LIFE_DURATION) fail("bad-isakmp", attributeField(a), "a Life Duration must follow a Life Type [RFC 2407 §4.5]", at);
    if (a.class === SaAttributeClass.LIFE_TYPE) {
      const unit = numericValue(a, a, fail, at);
      if (!seenLifeTypes.add(unit)) fail("bad-isakmp", attributeField(a), `Life Type ${unit} given twice [RFC 2407 §4.5]`, at);
      const duration = attributes[++i];
      if (duration?.class !== SaAttributeClass.LIFE_DURATION)
        fail("bad-isakmp", attributeField(a), "a Life Type must be followed by its Life Duration [RFC 2407 §4.5]", at);
      const durationAt = at + wireLength(a);
      at = durationAt + wireLength(duration);
      const field = LIFE_FIELD.get(unit);
      // A Duration in an unknown unit is only reported, whatever its size; errors in the
      // Duration's value name the Life Type it belongs to.
      const value = field === undefined ? 0 : numericValue(duration, a, fail, durationAt);
      if (into === undefined) continue;
      if (field) into[field] = value;
      else into.unknown.push(a, duration);
      continue;
    }
    if (!seenClasses.add(a.class)) fail("bad-isakmp", attributeField(a), "attribute given twice in one transform", at);
    const field = FIELD_OF_CLASS.get(a.class);
    const value = field === undefined ? 0 : numericValue(a, a, fail, at);
    at += wireLength(a);
    if (into === undefined) continue;
    if (field) into[field] = value;
    else into.unknown.push(a);
  }
  if (into !== undefined && seenLifeTypes.size === 0) into.lifeSeconds = DEFAULT_LIFE_SECONDS;
}

/**
 * A set of numbers with a bit per value below 32 — every attribute class and Life Type kinkd
 * knows — and a Set only once another value turns up, so checking a transform allocates no Set.
 */
class SeenNumbers {
  private bits = 0;
  private others: Set<number> | undefined;
  size = 0;

  /** Empties the set for the next check. */
  clear(): this {
    this.bits = 0;
    this.others?.clear();
    this.size = 0;
    return this;
  }

  /** Adds `n`; false when it was already there. */
  add(n: number): boolean {
    if (n >= 0 && n < 32) {
      const bit = 1 << n;
      if (this.bits & bit) return false;
      this.bits |= bit;
    } else {
      this.others ??= new Set();
      if (this.others.has(n)) return false;
      this.others.add(n);
    }
    this.size++;
    return true;
  }
}

/** The two sets of `checkAttributes`, which never runs inside itself: a check allocates nothing. */
const SEEN_CLASSES = new SeenNumbers();
const SEEN_LIFE_TYPES = new SeenNumbers();

/** Only failures name an attribute, so its name is built only for them. */
const attributeField = (a: SaAttribute): string => `SA attribute ${saAttributeClassName(a.class)}`;

/** Octets of an attribute on the wire: type and value, or type, length and value [RFC 2408 §3.3]. */
const wireLength = (a: SaAttribute): number => ("bytes" in a ? 4 + a.bytes.length : a.form === "basic" ? 4 : 8);

/** A value of any length as a number; RFC 2407 §4.5 lets a Life Duration use as many octets as it needs. `named` is the attribute errors name. */
function numericValue(a: SaAttribute, named: SaAttribute, fail: Fail, at: number): number {
  if ("value" in a) return a.value;
  let value = 0;
  for (const b of a.bytes) value = value * 256 + b;
  if (!Number.isSafeInteger(value)) fail("bad-isakmp", attributeField(named), `${a.bytes.length}-octet value is too large`, at);
  return value;
}

/** Defined once: transformView runs for every transform of every CREATE a responder reads. */
const failInTransform: Fail = (reason, field, detail, at = 0) => {
  throw new KinkError(reason, { kind: "notify", notifyType: NOTIFY_PAYLOAD_MALFORMED }, field, at, `${detail} (offset within the Transform payload)`);
};

/** Views of the transforms decoders share, computed when they were shared. */
const sharedViews = new WeakMap<Transform, TransformView>();

/**
 * The engine's view of a transform. A decoded one may be shared (see shareTransform), and its
 * view is then the one computed once; for any other, the attributes are checked again (a
 * transform built in memory has not been through the decoder's rules), with error offsets
 * relative to the Transform payload's first octet.
 */
export function transformView(t: Transform): TransformView {
  return sharedViews.get(t) ?? viewOf(t);
}

function viewOf(t: Transform): TransformView {
  const view: Meanings = { unknown: [] };
  checkAttributes(t.attributes, TRANSFORM_ATTRIBUTES_AT, failInTransform, view);
  return view;
}

/**
 * Makes a decoded transform, whose attributes passed checkAttributes and are all numeric,
 * shareable between decodes: it is frozen with its attributes, and its view is computed now
 * and frozen too, so every transformView of it is that view.
 */
export function shareTransform(t: Transform): void {
  for (let i = 0; i < t.attributes.length; i++) Object.freeze(t.attributes[i]);
  Object.freeze(t.attributes);
  Object.freeze(t);
  const view = viewOf(t);
  Object.freeze(view.unknown);
  sharedViews.set(t, Object.freeze(view));
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
