//! The verifier's int8 weights in the form this CPU runs exactly and fastest.
//!
//! The committed model stores its `MatMulInteger` weights unsigned (uint8, zero point 128;
//! `models/train/requantize_u8.py`): ONNX Runtime widens u8 × u8 products before adding them on
//! every x86 CPU, so the logits are the same everywhere. On CPUs with AVX-VNNI (AVX512-VNNI or
//! AVX-VNNI) ONNX Runtime's u8 × s8 kernels are exact too (32-bit accumulation) and several
//! times faster than its u8 × u8 ones (measured: 3.3 vs 10.4 ms per 48-token pair, one thread).
//! There the weights are rewritten at load to signed (int8, zero point 0): the same integers
//! once the zero point is taken off, so the same logits. Without VNNI signed weights would
//! saturate (pairs of products added in 16 bits), so they stay unsigned.
//!
//! The rewrite patches the serialized ONNX protobuf in place (an initializer's `data_type`
//! UINT8 → INT8, one byte each, and every weight byte XOR 0x80, which maps `v` to `v - 128` in
//! two's complement): no field changes length, so nothing else in the file moves.

use std::collections::HashSet;
use std::ops::Range;

/// ONNX `TensorProto.DataType` values.
const UINT8: u64 = 2;
const INT8: u64 = 3;

/// True when ONNX Runtime's u8 × s8 integer kernels are exact on this CPU (AVX-VNNI).
pub fn cpu_has_vnni() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512vnni")
            || std::arch::is_x86_feature_detected!("avxvnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One protobuf field: its number, wire type, the value (varint / fixed) and where its payload
/// lies in the buffer (for a varint: the varint's own bytes; for length-delimited: the payload).
struct Field {
    number: u64,
    wire: u8,
    value: u64,
    span: Range<usize>,
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

/// The fields of the message in `buf[range]`.
fn fields(buf: &[u8], range: Range<usize>) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    let mut pos = range.start;
    while pos < range.end {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, (key & 7) as u8);
        let start = pos;
        let (value, span) = match wire {
            0 => {
                let v = varint(buf, &mut pos)?;
                (v, start..pos)
            }
            1 => {
                pos += 8;
                (0, start..pos)
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|e| e.to_string())?;
                let s = pos;
                pos = pos.checked_add(len).ok_or("length overflow")?;
                (len as u64, s..pos)
            }
            5 => {
                pos += 4;
                (0, start..pos)
            }
            w => return Err(format!("unsupported wire type {w}")),
        };
        if pos > range.end {
            return Err("field runs past its message".into());
        }
        out.push(Field {
            number,
            wire,
            value,
            span,
        });
    }
    Ok(out)
}

fn string(buf: &[u8], f: &Field) -> Result<String, String> {
    String::from_utf8(buf[f.span.clone()].to_vec()).map_err(|e| e.to_string())
}

/// Rewrites the unsigned weights and zero points of every `MatMulInteger` (inputs B and
/// b_zero_point) of the ONNX model in `model` to signed, in place. Returns how many
/// initializers were rewritten (0 when they are signed already).
pub fn sign_weights(model: &mut [u8]) -> Result<usize, String> {
    // ModelProto.graph = 7; GraphProto.node = 1, .initializer = 5; NodeProto.input = 1,
    // .op_type = 4; TensorProto.data_type = 2, .name = 8, .raw_data = 9.
    let graph = fields(model, 0..model.len())?
        .into_iter()
        .find(|f| f.number == 7 && f.wire == 2)
        .ok_or("no graph")?;
    let graph_fields = fields(model, graph.span)?;
    let mut targets = HashSet::new();
    for node in graph_fields.iter().filter(|f| f.number == 1 && f.wire == 2) {
        let nf = fields(model, node.span.clone())?;
        let op = nf.iter().find(|f| f.number == 4 && f.wire == 2);
        if op.map(|f| string(model, f)).transpose()?.as_deref() != Some("MatMulInteger") {
            continue;
        }
        let inputs: Vec<String> = nf
            .iter()
            .filter(|f| f.number == 1 && f.wire == 2)
            .map(|f| string(model, f))
            .collect::<Result<_, _>>()?;
        targets.extend([1, 3].iter().filter_map(|&i| inputs.get(i).cloned()));
    }
    let mut patches = Vec::new();
    for init in graph_fields.iter().filter(|f| f.number == 5 && f.wire == 2) {
        let tf = fields(model, init.span.clone())?;
        let Some(name) = tf.iter().find(|f| f.number == 8 && f.wire == 2) else {
            continue;
        };
        if !targets.contains(&string(model, name)?) {
            continue;
        }
        let dtype = tf
            .iter()
            .find(|f| f.number == 2 && f.wire == 0)
            .ok_or("initializer without data_type")?;
        match dtype.value {
            INT8 => continue,
            UINT8 if dtype.span.len() == 1 => {}
            other => return Err(format!("MatMulInteger weight of data_type {other}")),
        }
        let raw = tf
            .iter()
            .find(|f| f.number == 9 && f.wire == 2)
            .ok_or("MatMulInteger weight without raw_data")?;
        patches.push((dtype.span.start, raw.span.clone()));
    }
    for (dtype_at, raw) in &patches {
        model[*dtype_at] = INT8 as u8;
        for b in &mut model[raw.clone()] {
            *b ^= 0x80;
        }
    }
    Ok(patches.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> Vec<u8> {
        std::fs::read(crate::verify::default_model_dir().join("model.onnx")).expect("model.onnx")
    }

    #[test]
    fn every_matmulinteger_weight_is_rewritten_once_and_nothing_else_moves() {
        let original = committed();
        let mut m = original.clone();
        let n = sign_weights(&mut m).expect("rewrites");
        // 37 MatMulIntegers (6 layers × Q, K, V, attention output and two feed-forward
        // matrices, and the classifier head), each a weight and its zero point.
        assert_eq!(n, 74);
        assert_eq!(m.len(), original.len());
        let changed = original.iter().zip(&m).filter(|(a, b)| a != b).count();
        assert!(changed > 1_000_000, "weights rewritten: {changed} bytes");
        // Signed already: nothing to do, and the file stays as it is.
        let mut again = m.clone();
        assert_eq!(sign_weights(&mut again).expect("parses"), 0);
        assert_eq!(again, m);
    }

    #[test]
    fn a_truncated_or_foreign_file_is_an_error_not_a_patch() {
        let original = committed();
        let mut cut = original[..original.len() / 3].to_vec();
        assert!(sign_weights(&mut cut).is_err());
        let mut junk = b"not an onnx model at all".to_vec();
        let before = junk.clone();
        assert!(sign_weights(&mut junk).is_err());
        assert_eq!(junk, before);
    }
}
