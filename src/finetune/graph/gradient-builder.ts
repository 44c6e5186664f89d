/**
 * Reverse-mode differentiation of an ONNX forward graph. Walks the forward nodes backwards from a
 * scalar loss, asks each operator's rule for its vector–Jacobian product, and sums contributions
 * where a value feeds several nodes. The backward nodes are appended to the same GraphBuilder, so
 * one session runs forward and backward; only nodes on a path from a trainable value to the loss
 * get backward nodes, and only the inputs on such a path get gradients (frozen weights cost nothing).
 */
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import type { NodeData } from '../../onnx/model-proto.ts';
import { BackwardEmitter } from './backward-emitter.ts';
import type { OperatorRule } from './operator-rule.ts';
import { Recomputation } from './recomputation.ts';
import { operatorRules } from './rules/index.ts';
import { ShapeTable } from './shape-table.ts';
import { isFloatType } from './value-shape.ts';

export interface GradientOptions {
  /** A scalar (one-element) float value of the forward graph. */
  loss: string;
  /** Graph inputs or initializers to differentiate with respect to. */
  trainable: readonly string[];
  /** The output name of each gradient; default `<name>_grad`. */
  gradientName?: (trainable: string) => string;
  /** Extra or replacement rules, keyed by op type. */
  rules?: ReadonlyMap<string, OperatorRule>;
  /**
   * Forward values the backward pass recomputes from their inputs where a rule reads them, rather
   * than keeping them alive from the forward pass (cheap elementwise values over wide tensors).
   */
  recompute?: ReadonlySet<string>;
  /**
   * Forward values whose whole loss gradient the caller emits in closed form (`gradient(seed)`,
   * seed the loss's own gradient): backward passes start there, and the nodes that read them (or
   * what they lead to) get no backward nodes for those inputs.
   */
  shortcuts?: readonly GradientShortcut[];
}

export interface GradientShortcut {
  value: string;
  gradient(seed: string): string;
}

export interface GradientGraph {
  /** Trainable value → the name of its gradient in the graph. */
  gradients: ReadonlyMap<string, string>;
  /** Shapes of the forward values, as inferred. */
  shapes: ShapeTable;
}

export function appendGradients(graph: GraphBuilder, options: GradientOptions): GradientGraph {
  const rules = options.rules ? new Map([...operatorRules, ...options.rules]) : operatorRules;
  const forwardNodes = [...graph.nodes];
  const shortcuts = options.shortcuts ?? [];
  const onPath = gradientPath(
    forwardNodes.filter((node) => !rules.get(node.opType)?.discrete),
    options.loss,
    options.trainable,
    new Set(shortcuts.map((shortcut) => shortcut.value)),
  );
  for (const trainable of options.trainable) {
    if (!onPath.has(trainable)) throw new Error(`"${trainable}" does not influence the loss "${options.loss}"`);
  }
  // Check every node on the path has a rule before any work, so the error names the operator.
  for (const node of forwardNodes) {
    const carriesGradient =
      node.inputs.some((input) => onPath.has(input)) && node.outputs.some((output) => onPath.has(output));
    if (carriesGradient && !rules.get(node.opType)?.backward) {
      throw new Error(`no gradient rule for ${describeNode(node)}, which lies between a trainable value and the loss`);
    }
  }

  const shapes = new ShapeTable(graph, rules);
  const lossShape = shapes.shape(options.loss);
  if (!isFloatType(lossShape.type) || lossShape.dims.some((dim) => dim !== 1)) {
    throw new Error(`loss "${options.loss}" must be a one-element float tensor, got ${shapes.describe(options.loss)}`);
  }
  for (const trainable of options.trainable) {
    if (!isFloatType(shapes.shape(trainable).type)) throw new Error(`"${trainable}" is not a float tensor`);
  }

  const emitter = new BackwardEmitter(graph, shapes);
  const contributions = new Map<string, string[]>();
  const totals = new Map<string, string>();
  const contribute = (value: string, gradient: string) => {
    const list = contributions.get(value);
    if (list) list.push(gradient);
    else contributions.set(value, [gradient]);
  };
  const total = (value: string): string | undefined => {
    const known = totals.get(value);
    if (known) return known;
    const list = contributions.get(value);
    if (!list) return undefined;
    const summed = list.length === 1 ? list[0] : graph.op('Sum', list);
    totals.set(value, summed);
    return summed;
  };

  // The seed waits for the loss value (Where picks 1 either way): ONNX Runtime orders nodes by
  // their inputs only, and with a constant seed it ran the loss after the whole backward pass,
  // keeping the logits alive throughout (measured).
  const seedDims = lossShape.dims as number[];
  const one = emitter.floats([1], seedDims, lossShape.type);
  const seed = graph.op('Where', [graph.op('IsNaN', [options.loss]), one, one]);
  contribute(options.loss, seed);
  for (const shortcut of shortcuts) {
    if (!onPath.has(shortcut.value))
      throw new Error(`shortcut "${shortcut.value}" does not lie between a trainable value and the loss`);
    contribute(shortcut.value, shortcut.gradient(seed));
  }

  const recomputation = new Recomputation(graph, forwardNodes, options.recompute ?? new Set(), emitter);
  for (let index = forwardNodes.length - 1; index >= 0; index--) {
    const forwardNode = forwardNodes[index];
    const needs = forwardNode.inputs.map((input) => input !== '' && onPath.has(input));
    if (!needs.some(Boolean)) continue;
    const outputGradients = forwardNode.outputs.map((output) => (onPath.has(output) ? total(output) : undefined));
    const firstGradient = outputGradients.find(Boolean);
    if (!firstGradient) continue;
    const node = recomputation.substitute(forwardNode, firstGradient);
    const backward = rules.get(node.opType)?.backward;
    const where = describeNode(node);
    if (!backward) throw new Error(`no gradient rule for ${where}`);
    let inputGradients: (string | undefined)[];
    try {
      inputGradients = backward({ node, outputGradients, needs }, emitter);
    } catch (error) {
      throw new Error(`gradient of ${where} failed: ${(error as Error).message}`, { cause: error });
    }
    forwardNode.inputs.forEach((input, inputIndex) => {
      if (!needs[inputIndex]) return;
      const gradient = inputGradients[inputIndex];
      if (!gradient) throw new Error(`gradient rule for ${where} gave no gradient for input "${input}"`);
      contribute(input, gradient);
    });
  }

  scheduleForwardOnlyNodesLate(graph, forwardNodes.length, seed);

  const gradients = new Map<string, string>();
  for (const trainable of options.trainable) {
    const name = options.gradientName?.(trainable) ?? `${trainable}_grad`;
    const list = contributions.get(trainable) ?? [];
    graph.node(list.length === 1 ? 'Identity' : 'Sum', list, [name]);
    gradients.set(trainable, name);
  }
  return { gradients, shapes };
}

/**
 * Lists the backward nodes that read forward values only (σ(x)(1 − σ(x)), RMSNorm's 2·x) before
 * those that carry a gradient. ONNX Runtime's default execution order is a depth-first walk from
 * the outputs that, at each node, descends first into the input made by the node listed last; such
 * a node is always listed after the gradient it meets, so it ran as soon as its forward inputs
 * existed and its output, as wide as the layer, stayed alive through the rest of the forward pass
 * (seen in ONNX Runtime's profile of the QLoRA bench: two such tensors per norm and per MLP).
 * Listed first, it is reached last: just before its use.
 */
function scheduleForwardOnlyNodesLate(graph: GraphBuilder, firstBackwardNode: number, seed: string): void {
  const carrying = new Set([seed]);
  for (const node of graph.nodes.slice(firstBackwardNode)) {
    if (node.inputs.some((input) => carrying.has(input))) for (const output of node.outputs) carrying.add(output);
  }
  graph.partitionNodes(firstBackwardNode, (node) => !node.outputs.some((output) => carrying.has(output)));
}

/**
 * The values whose gradient matters: reachable forward from a trainable value (not through a
 * shortcut, whose gradient is given) and backward from the loss. Forward nodes are in topological
 * order (GraphBuilder only reads defined values).
 */
function gradientPath(
  nodes: readonly NodeData[],
  loss: string,
  trainable: readonly string[],
  shortcuts: ReadonlySet<string>,
): Set<string> {
  const fromTrainable = new Set(trainable);
  for (const node of nodes) {
    if (node.inputs.some((input) => fromTrainable.has(input) && !shortcuts.has(input))) {
      for (const output of node.outputs) fromTrainable.add(output);
    }
  }
  const toLoss = new Set([loss]);
  for (let index = nodes.length - 1; index >= 0; index--) {
    const node = nodes[index];
    if (node.outputs.some((output) => toLoss.has(output))) {
      for (const input of node.inputs) if (input !== '') toLoss.add(input);
    }
  }
  return new Set([...fromTrainable].filter((value) => toLoss.has(value)));
}

function describeNode(node: NodeData): string {
  return `${node.opType} node "${node.name ?? node.outputs[0]}"`;
}
