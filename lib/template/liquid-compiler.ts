import {
  AssignTag,
  CommentTag,
  Context,
  defaultOperators,
  Drop,
  Expression,
  ForTag,
  IfTag,
  isFalsy,
  isTruthy,
  type Liquid,
  Output,
  type Template,
  toValueSync,
  TypeGuards,
  UnlessTag,
  type Value,
} from 'liquidjs';

/**
 * Liquid templates as plain JavaScript closures. liquidjs parses (its parse tree is public) and stays
 * the reference: each node becomes a closure doing what liquidjs's own render does, without its
 * generator-driven evaluation, which costs 2.5-3.7 µs a tag. Property reads are liquidjs's
 * Context.readProperty (its common case inline), filters liquidjs's own functions called as it calls
 * them, and comparisons with its drops its own operators, so the output is byte-identical
 * (test/template-compiler.test.ts). A template using anything not compiled here (other tags, `forloop`,
 * loop modifiers, ranges, generator filters, custom operators) is not compiled: `compileLiquid` returns
 * undefined and the interpreter renders it.
 */
export interface CompiledRender {
  (data: object, renderLimitMs?: number): string;
  /**
   * Every property path the template reads from a named variable (locals too), up to its first
   * computed key: what liquidjs's globalVariableSegments tells, without its analysis, which costs tens
   * of milliseconds at a cold start (it locates each variable by scanning the source from the start).
   */
  readonly reads: readonly Segments[];
  /**
   * The same render, also giving its trace: the branches it took and how often each loop ran. When every
   * output goes through the engine's output escape, the text is a function of the trace and of the
   * escape's results alone, so with outputs captured (output-capture.ts) the trace names the text, in a
   * fraction of its length. Undefined for a template with an unescaped (`raw`) output.
   */
  readonly traced?: (data: object, renderLimitMs?: number) => { text: string; trace: string };
}

/** A property path: names, and list indexes where a literal number indexes. */
export type Segments = readonly (string | number)[];

interface Frame {
  ctx: Context;
  /** ctx.readProperty; its declared type is narrower than what it takes (any value, nil included). */
  read: (obj: unknown, key: unknown) => unknown;
  ownPropertyOnly: boolean;
  bottom: Record<string, unknown>;
  /** Loop scopes, innermost last, as liquidjs pushes them on its scope stack. */
  loops: Record<string, unknown>[];
  env: object;
  globals: object;
  out: string;
  trace: string;
}

type Ev = (f: Frame) => unknown;
type Run = (f: Frame) => void;

class Unsupported extends Error {}

export function compileLiquid(engine: Liquid, templates: Template[]): CompiledRender | undefined {
  const { operators, strictVariables, keepOutputType } = engine.options;
  if (operators !== defaultOperators || strictVariables || keepOutputType) return undefined;
  let body: Run;
  const compiler = new Compiler(engine, templates);
  try {
    body = compiler.block(templates, true);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  const run = (data: object, renderLimitMs: number | undefined): Frame => {
    const renderOptions =
      renderLimitMs === undefined ? { sync: true } : { sync: true, renderLimit: renderLimitMs };
    const ctx = new Context(data, engine.options, renderOptions, { liquid: engine });
    const f: Frame = {
      ctx,
      read: ctx.readProperty.bind(ctx) as Frame['read'],
      ownPropertyOnly: !!ctx.ownPropertyOnly,
      bottom: ctx.bottom() as Record<string, unknown>,
      loops: [],
      env: ctx.environments,
      globals: ctx.globals ?? {},
      out: '',
      trace: '',
    };
    body(f);
    return f;
  };
  const render = (data: object, renderLimitMs?: number) => run(data, renderLimitMs).out;
  const traced = (data: object, renderLimitMs?: number) => {
    const f = run(data, renderLimitMs);
    return { text: f.out, trace: f.trace };
  };
  return Object.assign(render, { reads: compiler.reads, ...(compiler.escapesAll && { traced }) });
}

/**
 * A branch taken writes one character that is no digit and no `;`, a loop its count and a `;`: no
 * trace is a prefix of another's, so two traces are equal only for the same path.
 */
const BRANCH_MARK = 0x41;
const MAX_BRANCHES = 4096;

class Compiler {
  private readonly jsTruthy: boolean;
  readonly reads: Segments[] = [];
  /** Whether every output ends in the engine's output escape (see CompiledRender.traced). */
  escapesAll = true;
  /** Names the template assigns or loops over: only these can be found in a scope but the data's. */
  private readonly locals = new Set<string>();

  constructor(
    private readonly engine: Liquid,
    templates: Template[],
  ) {
    this.jsTruthy = !!engine.options.jsTruthy;
    collectLocals(templates, this.locals);
  }

  /**
   * The render limit is checked where a render starts and at each loop iteration, not at every block as
   * the interpreter does: what runs between two checks is then bounded by the template's own length,
   * and a clock read per block was a sixteenth of a render.
   */
  block(templates: Template[], checked = false): Run {
    const runs = templates.map((t) => this.node(t)).filter((r): r is Run => r !== undefined);
    if (!checked) {
      return (f) => {
        for (const run of runs) run(f);
      };
    }
    return (f) => {
      f.ctx.renderLimit.check(performance.now());
      for (const run of runs) run(f);
    };
  }

  /** One node; undefined for one that renders nothing. */
  private node(t: Template): Run | undefined {
    if (TypeGuards.isHTMLToken(t.token)) {
      const str = (t as unknown as { str: string }).str;
      return (f) => {
        f.out += str;
      };
    }
    if (t instanceof Output) {
      const filters = t.value.filters as unknown as { handler: unknown }[];
      if (filters.at(-1)?.handler !== this.engine.options.outputEscape) this.escapesAll = false;
      const value = this.value(t.value);
      return (f) => {
        f.out += stringify(toValue(value(f)));
      };
    }
    if (t instanceof CommentTag) return undefined;
    if (t instanceof AssignTag) {
      const { key } = t as unknown as { key: string };
      const value = this.value((t as unknown as { value: Value }).value);
      return (f) => {
        f.bottom[key] = value(f);
      };
    }
    if (t instanceof IfTag) {
      const { branches, elseTemplates } = t as unknown as {
        branches: { value: Value; templates: Template[] }[];
        elseTemplates?: Template[];
      };
      return this.branches(
        branches.map((b) => ({ value: b.value, templates: b.templates, truthy: true })),
        elseTemplates ?? [],
      );
    }
    if (t instanceof UnlessTag) {
      const { branches, elseTemplates } = t as unknown as {
        branches: { value: Value; test: unknown; templates: Template[] }[];
        elseTemplates: Template[];
      };
      return this.branches(
        branches.map((b) => {
          if (b.test !== isFalsy && b.test !== isTruthy) throw new Unsupported();
          return { value: b.value, templates: b.templates, truthy: b.test === isTruthy };
        }),
        elseTemplates,
      );
    }
    if (t instanceof ForTag) return this.forLoop(t);
    throw new Unsupported();
  }

  private branches(
    branches: { value: Value; templates: Template[]; truthy: boolean }[],
    elseTemplates: Template[],
  ): Run {
    const compiled = branches.map((b) => ({
      value: this.value(b.value),
      run: this.block(b.templates),
      truthy: b.truthy,
    }));
    const otherwise = this.block(elseTemplates);
    if (compiled.length >= MAX_BRANCHES) throw new Unsupported();
    const marks = [...compiled, undefined].map((_, i) => String.fromCharCode(BRANCH_MARK + i));
    const otherwiseMark = marks[compiled.length] as string;
    return (f) => {
      for (let i = 0; i < compiled.length; i++) {
        const b = compiled[i] as (typeof compiled)[number];
        if (this.isTruthy(toValue(b.value(f))) === b.truthy) {
          f.trace += marks[i];
          b.run(f);
          return;
        }
      }
      f.trace += otherwiseMark;
      otherwise(f);
    };
  }

  private forLoop(t: ForTag): Run {
    const { variable, collection, hash, templates, elseTemplates } = t as unknown as {
      variable: string;
      collection: unknown;
      hash: { hash: Record<string, unknown> };
      templates: Template[];
      elseTemplates: Template[];
    };
    // offset/limit/reversed and `continue` bookkeeping are not compiled.
    if (Object.keys(hash.hash).length > 0) throw new Unsupported();
    const items = this.token(collection);
    const body = this.block(templates, true);
    const otherwise = this.block(elseTemplates);
    return (f) => {
      const list = toEnumerable(items(f));
      f.trace += `${list.length};`;
      if (!list.length) {
        otherwise(f);
        return;
      }
      const scope: Record<string, unknown> = Object.create(null);
      f.loops.push(scope);
      try {
        for (const item of list) {
          scope[variable] = item;
          body(f);
        }
      } finally {
        f.loops.pop();
      }
    };
  }

  /** A Value: its expression, then each filter (the output escape is the last filter of an Output). */
  value(v: Value): Ev {
    const initial = this.expression(v.initial);
    const filters = (
      v.filters as unknown as { name: string; handler: unknown; args: unknown[]; token: unknown }[]
    ).map((filter) => this.filter(filter.handler, filter.args, filter.token));
    if (filters.length === 0) return initial;
    return (f) => {
      let val = initial(f);
      for (const apply of filters) val = apply(f, val);
      return val;
    };
  }

  private filter(handler: unknown, args: unknown[], token: unknown): (f: Frame, value: unknown) => unknown {
    if (typeof handler !== 'function' || handler.constructor.name === 'GeneratorFunction')
      throw new Unsupported();
    const argv = args.map((arg) => {
      if (Array.isArray(arg)) {
        const [key, value] = arg as [string, unknown];
        const ev = this.token(value);
        return (f: Frame) => [key, ev(f)];
      }
      return this.token(arg);
    });
    // One `this` per filter, its context set per call: filters run synchronously and keep nothing.
    const self: { context: Context | undefined; token: unknown; liquid: Liquid } = {
      context: undefined,
      token,
      liquid: this.engine,
    };
    const fn = handler as (this: typeof self, ...a: unknown[]) => unknown;
    const [a0, a1] = argv;
    const call: (f: Frame, value: unknown) => unknown =
      argv.length === 0
        ? (_f, value) => fn.call(self, value)
        : argv.length === 1 && a0
          ? (f, value) => fn.call(self, value, a0(f))
          : argv.length === 2 && a0 && a1
            ? (f, value) => fn.call(self, value, a0(f), a1(f))
            : (f, value) => fn.apply(self, [value, ...argv.map((ev) => ev(f))]);
    return (f, value) => {
      self.context = f.ctx;
      const result = call(f, value);
      return isIterator(result) ? toValueSync(result) : result;
    };
  }

  /** liquidjs's Expression: postfix tokens, operators applied as the stack is read. */
  private expression(e: Expression): Ev {
    if (!(e instanceof Expression)) throw new Unsupported();
    const stack: Ev[] = [];
    for (const token of (e as unknown as { postfix: unknown[] }).postfix) {
      if (TypeGuards.isOperatorToken(token)) {
        const op = (token as unknown as { operator: string }).operator;
        const right = stack.pop();
        if (!right) throw new Unsupported();
        if (op === 'not') {
          stack.push((f) => !this.isTruthy(toValue(right(f))));
          continue;
        }
        const left = stack.pop();
        if (!left) throw new Unsupported();
        stack.push(this.binary(op, left, right));
      } else {
        stack.push(this.token(token));
      }
    }
    const first = stack[0];
    if (!first) return () => undefined;
    return first;
  }

  private binary(op: string, left: Ev, right: Ev): Ev {
    const isTruthy = (v: unknown) => this.isTruthy(v);
    const operator = (defaultOperators as Record<string, (...a: unknown[]) => unknown>)[op];
    if (!operator) throw new Unsupported();
    // Drops (nil, empty, blank) and lists compare by liquidjs's own operator; plain values as it would.
    const viaLiquid = (l: unknown, r: unknown, f: Frame) => toValueSync(operator(l, r, f.ctx));
    switch (op) {
      case '==':
      case '!=': {
        const negate = op === '!=';
        // The common `x == nil`, `x != blank`: the literal's own equality, on a value from the data.
        const literal = dropKinds.get(right) ?? dropKinds.get(left);
        if (literal && !(dropKinds.has(left) && dropKinds.has(right))) {
          const literalOnRight = dropKinds.has(right);
          return (f) => {
            const l = left(f);
            const r = right(f);
            const v = literalOnRight ? l : r;
            if (v instanceof Drop) return viaLiquid(l, r, f);
            return dropEquals(literal, v) !== negate;
          };
        }
        return (f) => {
          const l = left(f);
          const r = right(f);
          if (isSpecial(l) || isSpecial(r)) return viaLiquid(l, r, f);
          return negate ? l !== r : l === r;
        };
      }
      case '>':
      case '<':
      case '>=':
      case '<=':
        return (f) => {
          const l = left(f);
          const r = right(f);
          if (l instanceof Drop || r instanceof Drop) return viaLiquid(l, r, f);
          const a = l as number;
          const b = r as number;
          return op === '>' ? a > b : op === '<' ? a < b : op === '>=' ? a >= b : a <= b;
        };
      case 'and':
        return (f) => {
          const l = left(f);
          const r = right(f);
          return isTruthy(toValue(l)) && isTruthy(toValue(r));
        };
      case 'or':
        return (f) => {
          const l = left(f);
          const r = right(f);
          return isTruthy(toValue(l)) || isTruthy(toValue(r));
        };
      default:
        return (f) => viaLiquid(left(f), right(f), f);
    }
  }

  /** evalToken: literals are their content; property reads resolve through the scopes. */
  token(token: unknown): Ev {
    if (typeof token !== 'object' || token === null) throw new Unsupported();
    if ('content' in token) {
      const content = (token as { content: unknown }).content;
      const ev: Ev = () => content;
      const literal = (token as { literal?: unknown }).literal;
      if (TypeGuards.isLiteralToken(token) && content instanceof Drop) {
        if (literal === 'nil' || literal === 'null') dropKinds.set(ev, 'nil');
        else if (literal === 'empty' || literal === 'blank') dropKinds.set(ev, literal);
      }
      return ev;
    }
    if (TypeGuards.isPropertyAccessToken(token)) return this.propertyAccess(token);
    if (TypeGuards.isFilteredValueToken(token)) {
      const { initial, filters } = token as unknown as {
        initial: Expression;
        filters: { name: string; args: unknown[] }[];
      };
      const value = this.expression(initial);
      const applied = filters.map((ft) => {
        const impl = (this.engine.filters as Record<string, unknown>)[ft.name];
        const handler =
          typeof impl === 'function' ? impl : (impl as { handler?: unknown } | undefined)?.handler;
        return this.filter(handler, ft.args, ft);
      });
      return (f) => {
        let val = value(f);
        for (const apply of applied) val = apply(f, val);
        return val;
      };
    }
    throw new Unsupported();
  }

  private propertyAccess(token: { variable?: unknown; props: unknown[] }): Ev {
    if (token.variable !== undefined && token.variable !== null) {
      const variable = this.token(token.variable);
      const path = this.path(token.props);
      return (f) => path(f, variable(f));
    }
    const [head, ...props] = token.props;
    const name = typeof head === 'object' && head !== null && 'content' in head ? head.content : undefined;
    // A computed first name could be `forloop`, which compiled loops do not keep: not compiled.
    if (typeof name !== 'string' || name === 'forloop') throw new Unsupported();
    this.reads.push(staticSegments(name, props));
    const path = this.path(props);
    // A name the template never assigns or loops over is in no scope but the data's (or the globals):
    // unless Object.prototype has it, which every scope inherits.
    if (!this.locals.has(name) && !(name in Object.prototype)) {
      return (f) => path(f, readProperty(f, name in f.env ? f.env : f.globals, name));
    }
    return (f) => path(f, readProperty(f, findScope(f, name), name));
  }

  /** The reads of `props` in turn from a start value; a literal key (most of them) is read as it is. */
  private path(props: unknown[]): (f: Frame, start: unknown) => unknown {
    if (props.length === 0) return (_f, start) => start;
    const literal = props.map(literalKey);
    if (literal.every((k) => k !== undefined)) {
      return (f, start) => {
        let value = start;
        for (const key of literal) value = readProperty(f, value, key);
        return value;
      };
    }
    const keys = props.map((p) => {
      const ev = this.token(p);
      return (f: Frame) => toValue(ev(f));
    });
    return (f, start) => readPath(f, start, keys);
  }

  private isTruthy(v: unknown): boolean {
    return this.jsTruthy ? !!v : v !== false && v !== undefined && v !== null;
  }
}

/** The names `assign` and `for` bind anywhere in the templates, nested blocks included. */
function collectLocals(templates: Template[], into: Set<string>): void {
  for (const t of templates) {
    const tag = t as unknown as {
      key?: unknown;
      variable?: unknown;
      templates?: Template[];
      elseTemplates?: Template[];
      branches?: { templates: Template[] }[];
    };
    if (t instanceof AssignTag && typeof tag.key === 'string') into.add(tag.key);
    if (t instanceof ForTag && typeof tag.variable === 'string') into.add(tag.variable);
    for (const nested of [tag.templates, tag.elseTemplates, ...(tag.branches ?? []).map((b) => b.templates)])
      if (Array.isArray(nested)) collectLocals(nested, into);
  }
}

/** `name` and the literal keys after it, up to the first computed one. */
function staticSegments(name: string, props: unknown[]): Segments {
  const segments: (string | number)[] = [name];
  for (const p of props) {
    const key = literalKey(p);
    if (key === undefined) break;
    segments.push(key);
  }
  return segments;
}

/** A property token's key when it is a literal name or index (not computed, not nil/empty/blank). */
function literalKey(p: unknown): string | number | undefined {
  const content = typeof p === 'object' && p !== null && 'content' in p ? p.content : undefined;
  return typeof content === 'string' || typeof content === 'number' ? content : undefined;
}

/** Context.findScope over this frame: loop scopes innermost first, the assign scope, the data, globals. */
function findScope(f: Frame, key: unknown): object {
  const k = key as string;
  for (let i = f.loops.length - 1; i >= 0; i--) {
    const scope = f.loops[i] as object;
    if (k in scope) return scope;
  }
  if (k in f.bottom) return f.bottom;
  if (k in f.env) return f.env;
  return f.globals;
}

function readPath(f: Frame, start: unknown, keys: Ev[]): unknown {
  let value = start;
  for (const key of keys) value = readProperty(f, value, key(f));
  return value;
}

/**
 * Context.readProperty, with its common case inline: a string key of a plain object or list that is
 * none of `size`, `first`, `last` (which read a list's length and ends) reads the own property.
 */
function readProperty(f: Frame, obj: unknown, key: unknown): unknown {
  if (
    f.ownPropertyOnly &&
    typeof key === 'string' &&
    typeof obj === 'object' &&
    obj !== null &&
    key !== 'size' &&
    key !== 'first' &&
    key !== 'last' &&
    !(obj instanceof Drop) &&
    typeof (obj as { toLiquid?: unknown }).toLiquid !== 'function'
  ) {
    const value = Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
    return typeof value === 'function' ? value.call(obj) : value;
  }
  return f.read(obj, key);
}

/** The literals `nil`, `empty` and `blank` among compiled operands, by the closure that yields them. */
const dropKinds = new WeakMap<Ev, 'nil' | 'empty' | 'blank'>();

/** NullDrop, EmptyDrop and BlankDrop's `equals` for a value that is not a Drop. */
function dropEquals(kind: 'nil' | 'empty' | 'blank', v: unknown): boolean {
  if (kind === 'nil') return v === null || v === undefined;
  if (kind === 'blank') {
    if (v === false || v === null || v === undefined) return true;
    if (typeof v === 'string') return /^\s*$/.test(v);
  }
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) return Object.keys(v).length === 0;
  return false;
}

/** A value liquidjs's equality treats specially: a Drop (nil, empty, blank) or a list. */
function isSpecial(v: unknown): boolean {
  return v instanceof Drop || Array.isArray(v);
}

function toValue(value: unknown): unknown {
  return value instanceof Drop && typeof value.valueOf === 'function' ? value.valueOf() : value;
}

/** The emitter's stringify. */
function stringify(value: unknown): string {
  const v = toValue(value);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => stringify(x)).join('');
  return String(v);
}

/** What a `for` iterates, as liquidjs's toEnumerable. */
function toEnumerable(val: unknown): unknown[] {
  const v = toValue(val);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.length > 0 ? [v] : [];
  if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
    if (Symbol.iterator in (v as object)) return Array.from(v as Iterable<unknown>);
    return Object.keys(v as object).map((key) => [key, (v as Record<string, unknown>)[key]]);
  }
  return [];
}

function isIterator(v: unknown): v is Iterator<unknown> {
  const o = v as { next?: unknown; throw?: unknown; return?: unknown } | null;
  return (
    !!o && typeof o.next === 'function' && typeof o.throw === 'function' && typeof o.return === 'function'
  );
}
