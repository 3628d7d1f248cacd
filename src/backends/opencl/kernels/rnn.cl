// Recurrent gate kernels (core/kernels/rnn.h): one work-item per hidden unit i = b*H + j of a
// time step, float32 or float64 (role T). Each operand is a buffer, an element offset and a row
// stride (unit stride along the row). The formulas are core/kernel_formulas.h's.

#define ROW(p, off, stride) ((p) + (off) + b * (stride))

inline T rnn_sigmoid(T x) { return EMBER_SIGMOID(T, x); }

__kernel void lstm_cell_forward(__global T* g, long goff, long gs, __global const T* cp, long cpoff, long cps,
                                __global T* c, long coff, long cs, __global T* h, long hoff, long hs, long B, long H) {
  const long i = get_global_id(0);
  if (i >= B * H) return;
  const long b = i / H, j = i % H;
  __global T* gr = ROW(g, goff, gs);
  const T ig = rnn_sigmoid(gr[j]), fg = rnn_sigmoid(gr[H + j]), gg = tanh(gr[2 * H + j]), og = rnn_sigmoid(gr[3 * H + j]);
  gr[j] = ig;
  gr[H + j] = fg;
  gr[2 * H + j] = gg;
  gr[3 * H + j] = og;
  const T cn = EMBER_LSTM_CELL(ig, fg, gg, ROW(cp, cpoff, cps)[j]);
  ROW(c, coff, cs)[j] = cn;
  ROW(h, hoff, hs)[j] = og * tanh(cn);
}

__kernel void lstm_cell_backward(__global const T* g, long goff, long gs, __global const T* cp, long cpoff, long cps,
                                 __global const T* c, long coff, long cs, __global const T* dho, long dhooff,
                                 long dhos, __global const T* dh, long dhoff, long dhs, __global T* dc, long dcoff,
                                 long dcs, __global T* dg, long dgoff, long dgs, long B, long H) {
  const long i = get_global_id(0);
  if (i >= B * H) return;
  const long b = i / H, j = i % H;
  __global const T* gr = ROW(g, goff, gs);
  const T ig = gr[j], fg = gr[H + j], gg = gr[2 * H + j], og = gr[3 * H + j];
  const T tc = tanh(ROW(c, coff, cs)[j]);
  const T dht = ROW(dho, dhooff, dhos)[j] + ROW(dh, dhoff, dhs)[j];
  __global T* dcr = ROW(dc, dcoff, dcs);
  const T dct = dcr[j] + dht * og * EMBER_TANH_GRAD_AT(T, tc);
  __global T* d = ROW(dg, dgoff, dgs);
  d[j] = dct * gg * EMBER_SIGMOID_GRAD_AT(T, ig);
  d[H + j] = dct * ROW(cp, cpoff, cps)[j] * EMBER_SIGMOID_GRAD_AT(T, fg);
  d[2 * H + j] = dct * ig * EMBER_TANH_GRAD_AT(T, gg);
  d[3 * H + j] = dht * tc * EMBER_SIGMOID_GRAD_AT(T, og);
  dcr[j] = dct * fg;
}

__kernel void gru_cell_forward(__global T* gi, long gioff, long gis, __global const T* gh, long ghoff, long ghs,
                               __global const T* hp, long hpoff, long hps, __global T* h, long hoff, long hs, long B,
                               long H) {
  const long i = get_global_id(0);
  if (i >= B * H) return;
  const long b = i / H, j = i % H;
  __global T* a = ROW(gi, gioff, gis);
  __global const T* q = ROW(gh, ghoff, ghs);
  const T r = rnn_sigmoid(a[j] + q[j]), z = rnn_sigmoid(a[H + j] + q[H + j]);
  const T n = tanh(a[2 * H + j] + r * q[2 * H + j]);
  a[j] = r;
  a[H + j] = z;
  a[2 * H + j] = n;
  ROW(h, hoff, hs)[j] = EMBER_GRU_HIDDEN(z, n, ROW(hp, hpoff, hps)[j]);
}

__kernel void gru_cell_backward(__global const T* gi, long gioff, long gis, __global const T* gh, long ghoff, long ghs,
                                __global const T* hp, long hpoff, long hps, __global const T* dho, long dhooff,
                                long dhos, __global T* dh, long dhoff, long dhs, __global T* dgi, long dgioff,
                                long dgis, __global T* dgh, long dghoff, long dghs, long B, long H) {
  const long i = get_global_id(0);
  if (i >= B * H) return;
  const long b = i / H, j = i % H;
  __global const T* a = ROW(gi, gioff, gis);
  const T r = a[j], z = a[H + j], n = a[2 * H + j];
  __global T* d = ROW(dh, dhoff, dhs);
  const T dht = ROW(dho, dhooff, dhos)[j] + d[j];
  const T dn = dht * ((T)1 - z) * EMBER_TANH_GRAD_AT(T, n);
  const T dz = dht * (ROW(hp, hpoff, hps)[j] - n) * EMBER_SIGMOID_GRAD_AT(T, z);
  const T dr = dn * ROW(gh, ghoff, ghs)[2 * H + j] * EMBER_SIGMOID_GRAD_AT(T, r);
  __global T* di = ROW(dgi, dgioff, dgis);
  __global T* dq = ROW(dgh, dghoff, dghs);
  di[j] = dr;
  di[H + j] = dz;
  di[2 * H + j] = dn;
  dq[j] = dr;
  dq[H + j] = dz;
  dq[2 * H + j] = dn * r;
  d[j] = dht * z;
}
