/**
 * An index over a decoded ONNX model for surgery: every graph with its parent (subgraphs of If and
 * Loop nodes), initializers by name with scoping, who consumes each value, and lazily created splice
 * edits for any graph, so a change deep in a subgraph re-encodes only the path down to it.
 */

import type {
  DecodedGraph,
  DecodedModel,
  DecodedNode,
  DecodedValueInfo,
  InitializerEntry,
} from '../../onnx/model-reader.ts';
import { type MessageEdit, messageEdit } from '../../onnx/model-splice.ts';
import { readFields } from '../../onnx/protobuf-reader.ts';

export interface GraphScope {
  graph: DecodedGraph;
  parent: { scope: GraphScope; node: DecodedNode; attributeIndex: number } | undefined;
  initializers: Map<string, InitializerEntry>;
  outputNames: Set<string>;
}

export interface Consumer {
  scope: GraphScope;
  node: DecodedNode;
}

export class GraphIndex {
  readonly scopes: GraphScope[] = [];
  readonly root: MessageEdit;
  private readonly consumers = new Map<string, Consumer[]>();
  private readonly valueInfos = new Map<string, DecodedValueInfo>();
  private readonly graphEdits = new Map<DecodedGraph, MessageEdit>();
  private readonly nodeEdits = new Map<DecodedNode, MessageEdit>();

  constructor(readonly model: DecodedModel) {
    this.root = messageEdit(model.bytes, model.fields);
    this.visit(model.graph, undefined);
  }

  private visit(graph: DecodedGraph, parent: GraphScope['parent']): void {
    const scope: GraphScope = {
      graph,
      parent,
      initializers: new Map(graph.initializers.map((entry) => [entry.tensor.name, entry])),
      outputNames: new Set(graph.outputs.map((output) => output.name)),
    };
    this.scopes.push(scope);
    for (const info of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) this.valueInfos.set(info.name, info);
    for (const node of graph.nodes) {
      for (const input of node.inputs) {
        if (input === '') continue;
        const list = this.consumers.get(input) ?? [];
        list.push({ scope, node });
        this.consumers.set(input, list);
      }
      node.attributes.forEach((attribute, attributeIndex) => {
        if (attribute.kind === 'graph') this.visit(attribute.value, { scope, node, attributeIndex });
      });
    }
  }

  /** The initializer a name refers to in `scope`, looking outwards through enclosing graphs. */
  initializer(scope: GraphScope, name: string): { entry: InitializerEntry; scope: GraphScope } | undefined {
    for (let current: GraphScope | undefined = scope; current; current = current.parent?.scope) {
      const entry = current.initializers.get(name);
      if (entry) return { entry, scope: current };
    }
    return undefined;
  }

  consumersOf(name: string): readonly Consumer[] {
    return this.consumers.get(name) ?? [];
  }

  valueInfo(name: string): DecodedValueInfo | undefined {
    return this.valueInfos.get(name);
  }

  /** The splice edit of a graph, created with the edits of every message above it. */
  graphEdit(scope: GraphScope): MessageEdit {
    const known = this.graphEdits.get(scope.graph);
    if (known) return known;
    const bytes = this.model.bytes;
    const edit = messageEdit(bytes, scope.graph.fields);
    this.graphEdits.set(scope.graph, edit);
    if (!scope.parent) {
      this.root.replace.set(this.model.graphField, edit);
      return edit;
    }
    const { node, attributeIndex } = scope.parent;
    const nodeEdit = this.nodeEdit(scope.parent.scope, node);
    const attributeField = node.attributeFields[attributeIndex];
    const attributeEdit = messageEdit(bytes, readFields(bytes, attributeField.valueStart, attributeField.valueEnd));
    nodeEdit.replace.set(attributeField, attributeEdit);
    const graphField = attributeEdit.fields.find((field) => field.field === 6);
    if (!graphField) throw new Error(`node ${node.name}: graph attribute without a graph`);
    attributeEdit.replace.set(graphField, edit);
    return edit;
  }

  /** The splice edit of a node (its graph's edit is created too). */
  nodeEdit(scope: GraphScope, node: DecodedNode): MessageEdit {
    const known = this.nodeEdits.get(node);
    if (known) return known;
    const edit = messageEdit(this.model.bytes, node.fields);
    this.nodeEdits.set(node, edit);
    this.graphEdit(scope).replace.set(node.field, edit);
    return edit;
  }
}
