#version 300 es
// kernelc: one triangle covering the viewport, from gl_VertexID alone (no attributes).
void main() {
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
