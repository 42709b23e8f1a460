// name: squared_diff
// in_params: T x, T y
// out_params: T z
z = (x - y) * (x - y)
