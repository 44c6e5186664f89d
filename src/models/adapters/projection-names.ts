/**
 * How adapter modules meet ONNX nodes. Both sides are reduced to one key, `layers.{i}.{self_attn|mlp}.{x}_proj`:
 *
 * - ONNX exports (Optimum's naming, which mmkit's exporter follows) name a projection's nodes
 *   `/model/layers.{i}/self_attn/q_proj/MatMul` (quantized: `…/q_proj/MatMul_Q4`, `…/MatMul_quant`, …),
 *   under whatever prefix the export used (`/model/`, `/language_model/model/`, …);
 * - PEFT names modules by their checkpoint path: `model.layers.0.self_attn.q_proj`,
 *   `language_model.model.layers.0.…`, `model.text_model.layers.0.…`.
 *
 * Modules under a vision, audio or encoder prefix (a VLM's vision tower also has `q_proj`s) are
 * never the decoder's.
 */

const NODE_NAME = /^(.*?)layers\.(\d+)\/(self_attn|mlp)\/(q|k|v|o|gate|up|down)_proj\//;
const MODULE_NAME = /^(.*?)layers\.(\d+)\.(self_attn|mlp)\.(q|k|v|o|gate|up|down)_proj$/;
const NOT_THE_DECODER = /(^|[./])(vision|visual|vision_tower|vision_model|image|audio|speech|encoder)[a-z_]*([./]|$)/i;

export interface ProjectionName {
  key: string;
  /** What came before `layers.`: `/model/`, `language_model.model.`, … */
  prefix: string;
}

function match(pattern: RegExp, name: string): ProjectionName | undefined {
  const found = pattern.exec(name);
  if (!found) return undefined;
  const [, prefix, layer, block, projection] = found;
  if (NOT_THE_DECODER.test(prefix)) return undefined;
  return { key: `layers.${layer}.${block}.${projection}_proj`, prefix };
}

/** The projection a node belongs to, if its name says so. */
export function projectionOfNode(nodeName: string): ProjectionName | undefined {
  return match(NODE_NAME, nodeName);
}

/** The projection an adapter module (PEFT's module path) adapts, if it is a decoder projection. */
export function projectionOfModule(moduleName: string): ProjectionName | undefined {
  return match(MODULE_NAME, moduleName);
}
