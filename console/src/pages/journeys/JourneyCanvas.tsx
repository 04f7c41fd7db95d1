/**
 * The journey canvas (React Flow, loaded lazily): a node per step with a handle per exit, edges
 * for the exits; connecting, deleting an edge and dragging nodes edit the definition through
 * graph.ts. Counts per step and validation errors show on the nodes.
 */
import {
  Background,
  Controls,
  Handle,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
  Position,
  ReactFlow,
  applyNodeChanges,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useRef, useState } from 'react';
import { type CanvasDefinition, type CanvasStep, exitsOf, fromGraph, toGraph, TRIGGER_NODE } from './graph.ts';

/** What a node shows besides its step. */
interface NodeData extends Record<string, unknown> {
  step?: CanvasStep;
  trigger?: string;
  count?: number;
  passed?: number;
  errors: string[];
  selected: boolean;
}

function StepNode({ data }: NodeProps<Node<NodeData>>) {
  const exits = data.step ? exitsOf(data.step) : [{ key: 'start', to: undefined }];
  const bad = data.errors.length > 0;
  return (
    <div
      data-testid={`node-${data.step?.id ?? TRIGGER_NODE}`}
      style={{
        width: 200,
        padding: '8px 10px',
        borderRadius: 8,
        background: data.step ? '#fff' : '#e6f4ff',
        border: `2px solid ${bad ? '#ff4d4f' : data.selected ? '#1677ff' : '#d9d9d9'}`,
        fontSize: 12,
      }}
    >
      {data.step && <Handle type="target" position={Position.Top} />}
      <div style={{ fontWeight: 600 }}>{data.step ? data.step.type : `trigger: ${data.trigger}`}</div>
      {data.step && <div style={{ color: '#666' }}>{data.step.name ?? data.step.id}</div>}
      {(data.count !== undefined || data.passed !== undefined) && (
        <div style={{ color: '#389e0d' }} data-testid="node-counts">
          {data.count ?? 0} ▸ {data.passed ?? 0}
        </div>
      )}
      {data.errors.map((e, i) => (
        <div key={i} style={{ color: '#cf1322' }} data-testid="node-error">
          {e}
        </div>
      ))}
      {exits.map((x, i) => (
        <Handle
          key={x.key}
          id={x.key}
          type="source"
          position={Position.Bottom}
          title={x.key}
          style={{ left: `${((i + 1) * 100) / (exits.length + 1)}%`, background: x.key === 'timeoutNext' || x.key === 'defaultNext' ? '#faad14' : '#1677ff' }}
        />
      ))}
    </div>
  );
}

const nodeTypes = { step: StepNode };

/** The canvas. `onChange` receives the whole new definition after an edit of the graph. */
export default function JourneyCanvas(props: {
  definition: CanvasDefinition;
  inStep?: Record<string, number>;
  passed?: Record<string, number>;
  errors: Record<string, string[]>;
  selected: string | null;
  onSelect: (id: string | null) => void;
  onChange: (def: CanvasDefinition) => void;
}) {
  const graph = useMemo(() => toGraph(props.definition), [props.definition]);
  const built: Node<NodeData>[] = useMemo(
    () =>
      graph.nodes.map((n) => ({
        id: n.id,
        type: 'step',
        position: { x: n.x, y: n.y },
        data: {
          step: n.step,
          trigger: String(props.definition.trigger?.type ?? ''),
          count: n.step ? props.inStep?.[n.id] : undefined,
          passed: n.step ? props.passed?.[n.id] : undefined,
          errors: props.errors[n.id] ?? [],
          selected: props.selected === n.id,
        },
      })),
    [graph, props.definition, props.inStep, props.passed, props.errors, props.selected],
  );
  // React Flow measures nodes and reports positions through onNodesChange: the nodes live in state,
  // rebuilt from the definition when it changes, keeping each node's measured size, and the place
  // of a node the operator dragged (the others follow the layout as steps come and go).
  const [nodes, setNodes] = useState<Node<NodeData>[]>(built);
  const dragged = useRef(new Set<string>());
  useEffect(() => {
    setNodes((prev) =>
      built.map((n) => {
        const old = prev.find((p) => p.id === n.id);
        return old ? { ...n, position: dragged.current.has(n.id) ? old.position : n.position, measured: old.measured } : n;
      }),
    );
  }, [built]);
  const edges: Edge[] = graph.edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourceHandle: e.handle,
    target: e.target,
    label: e.handle === 'next' || e.handle === 'start' ? undefined : e.handle,
  }));

  const commit = (next: typeof graph.edges) => props.onChange(fromGraph(props.definition, graph.nodes, next));
  const onConnect = (c: Connection) => {
    if (!c.source || !c.target || c.target === TRIGGER_NODE) return;
    const handle = c.sourceHandle ?? 'next';
    commit([
      ...graph.edges.filter((e) => !(e.source === c.source && e.handle === handle)),
      { id: `${c.source}:${handle}`, source: c.source, handle, target: c.target },
    ]);
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
    if (removed.size) commit(graph.edges.filter((e) => !removed.has(e.id)));
  };
  const onNodesChange = (changes: NodeChange<Node<NodeData>>[]) => {
    for (const c of changes) if (c.type === 'position' && c.dragging) dragged.current.add(c.id);
    setNodes((ns) => applyNodeChanges(changes, ns));
  };

  return (
    <div style={{ height: 560, border: '1px solid #f0f0f0', borderRadius: 8 }} data-testid="journey-canvas">
      <ReactFlow
        // Fitted again when a step is added or removed, so every step stays in view.
        key={graph.nodes.length}
        fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onConnect={onConnect}
        onEdgesChange={onEdgesChange}
        onNodesChange={onNodesChange}
        onNodeClick={(_, n) => props.onSelect(n.id)}
        onPaneClick={() => props.onSelect(null)}
        fitView
        deleteKeyCode={['Backspace', 'Delete']}
      >
        <Background />
        <Controls />
      </ReactFlow>
    </div>
  );
}
