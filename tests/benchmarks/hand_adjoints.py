"""Hand-written adjoints for the benchmark table (run.py): what a careful
person writes, to compare generated code against."""
import math


def sixty_lines_hand(x, y, z, n):
    """The adjoint of sixty_lines written by hand: the forward sweep keeps what
    the reverse needs in lists, the reverse sweep runs the statements backwards."""
    sin, cos, exp, sqrt, tanh, log = math.sin, math.cos, math.exp, math.sqrt, math.tanh, math.log
    a = x * y + sin(z)
    ea = exp(-a * a)
    Z = 1.0 + z * z
    b = ea + y / Z
    c = a * b - cos(x + y)
    positive = c > 0
    if positive:
        d = sqrt(c + 1.0)
    else:
        d = tanh(c)
    e = d * x + a
    total = 0.0
    es, fs, gs, logged = [], [], [], []
    for i in range(n):
        w = 0.5 + 0.01 * i
        f = sin(w * e) + cos(w * d)
        g = f * f - a * w
        es.append(e)
        fs.append(f)
        gs.append(g)
        big = g > 1.0
        logged.append(big)
        if big:
            g = log(g)
        total = total + g * b
        e = e * 0.99 + 0.01 * f
    den_h = 1.0 + abs(e)
    h = total / den_h
    D = 1.0 + d * d
    k = math.atan2(h, D)
    m = k * a + h * b
    hyp = math.hypot(a, b)
    p = m ** 2 + hyp
    em = exp(-m)
    den_q = 1.0 + em
    q = p / den_q
    r = q * sin(p) + cos(q)
    s = r * r + q * p
    t = sqrt(s + 1.0)
    th = tanh(r)
    u = t * th - s * 0.001
    v = u + math.log1p(t * t)
    vs = []
    count = 0
    while v > 1.0 and count < 50:
        vs.append(v)
        v = v * 0.9 - 0.01 * sin(v)
        count = count + 1
    w2 = v * u + t
    xx = w2 * w2 * 0.5
    yy = xx + math.expm1(-abs(w2))
    zz = yy * a - xx * b
    aa = zz + math.atan(yy)
    bb = aa * aa + zz
    cc = math.sinh(bb * 0.001) + math.cosh(aa * 0.001)
    dd = cc * bb - aa
    den_e = 1.0 + cc * cc
    ee = dd / den_e
    erf_dd = math.erf(dd * 0.01)
    ff = ee * erf_dd
    gg = ff + ee * d
    hh = gg * gg
    ii = hh + gg * e
    jj = sqrt(ii * ii + 1.0)
    kk = jj * a
    ll = kk + jj * b
    mm = ll * c
    nn = mm + ll
    oo = nn * 0.5 + mm * 0.25
    pp = oo * oo
    qq = pp + oo
    # reverse sweep, out_bar = 1
    qq_bar, pp_bar, nn_bar = x, y, z
    x_bar, y_bar, z_bar = qq, pp, nn
    pp_bar += qq_bar
    oo_bar = qq_bar + 2.0 * oo * pp_bar
    nn_bar += 0.5 * oo_bar
    mm_bar = 0.25 * oo_bar + nn_bar
    ll_bar = nn_bar + c * mm_bar
    c_bar = ll * mm_bar
    jj_bar = b * ll_bar + a * ll_bar
    b_bar = jj * ll_bar
    a_bar = jj * ll_bar
    ii_bar = jj_bar * ii / jj
    gg_bar = e * ii_bar
    e_bar = gg * ii_bar
    gg_bar += 2.0 * gg * ii_bar
    ee_bar = d * gg_bar + erf_dd * gg_bar
    d_bar = ee * gg_bar
    dd_bar = ee * gg_bar * (2.0 / math.sqrt(math.pi)) * exp(-(dd * 0.01) ** 2) * 0.01
    dd_bar += ee_bar / den_e
    cc_bar = -ee_bar * dd / (den_e * den_e) * 2.0 * cc + bb * dd_bar
    bb_bar = cc * dd_bar + cc_bar * math.cosh(bb * 0.001) * 0.001
    aa_bar = -dd_bar + cc_bar * math.sinh(aa * 0.001) * 0.001 + 2.0 * aa * bb_bar
    zz_bar = bb_bar + aa_bar
    yy_bar = aa_bar / (1.0 + yy * yy) + a * zz_bar
    a_bar += yy * zz_bar
    xx_bar = -b * zz_bar + yy_bar
    b_bar -= xx * zz_bar
    w2_bar = -yy_bar * exp(-abs(w2)) * (1.0 if w2 > 0 else -1.0) + xx_bar * w2
    v_bar = u * w2_bar
    u_bar = v * w2_bar
    t_bar = w2_bar
    for v_prev in reversed(vs):
        v_bar = v_bar * (0.9 - 0.01 * cos(v_prev))
    u_bar += v_bar
    t_bar += v_bar * 2.0 * t / (1.0 + t * t)
    t_bar += th * u_bar
    r_bar = t * (1.0 - th * th) * u_bar
    s_bar = -0.001 * u_bar + t_bar / (2.0 * t)
    r_bar += 2.0 * r * s_bar
    q_bar = p * s_bar + r_bar * (sin(p) - sin(q))
    p_bar = q * s_bar + r_bar * q * cos(p)
    p_bar += q_bar / den_q
    m_bar = q_bar * p * em / (den_q * den_q) + 2.0 * m * p_bar
    a_bar += p_bar * a / hyp
    b_bar += p_bar * b / hyp
    k_bar = a * m_bar
    a_bar += k * m_bar
    h_bar = b * m_bar
    b_bar += h * m_bar
    r2 = h * h + D * D
    h_bar += k_bar * D / r2
    d_bar -= k_bar * h / r2 * 2.0 * d
    total_bar = h_bar / den_h
    e_bar -= h_bar * total / (den_h * den_h) * (1.0 if e > 0 else -1.0)
    for i in range(n - 1, -1, -1):
        w, e, f, g = 0.5 + 0.01 * i, es[i], fs[i], gs[i]
        f_bar = 0.01 * e_bar
        e_bar = 0.99 * e_bar
        if logged[i]:
            b_bar += total_bar * log(g)
            g_bar = total_bar * b / g
        else:
            b_bar += total_bar * g
            g_bar = total_bar * b
        f_bar += 2.0 * f * g_bar
        a_bar -= w * g_bar
        e_bar += f_bar * cos(w * e) * w
        d_bar -= f_bar * sin(w * d) * w
    d_bar += x * e_bar
    x_bar += d * e_bar
    a_bar += e_bar
    if positive:
        c_bar += d_bar / (2.0 * d)
    else:
        c_bar += d_bar * (1.0 - d * d)
    a_bar += b * c_bar
    b_bar += a * c_bar
    sxy = sin(x + y)
    x_bar += c_bar * sxy
    y_bar += c_bar * sxy
    a_bar += b_bar * ea * (-2.0 * a)
    y_bar += b_bar / Z
    z_bar -= b_bar * y / (Z * Z) * 2.0 * z
    x_bar += y * a_bar
    y_bar += x * a_bar
    z_bar += cos(z) * a_bar
    return x_bar, y_bar, z_bar
