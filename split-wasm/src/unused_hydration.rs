//! Takes the hydration paths islands never run out of the browser build, before the split.
//!
//! Islands hydrate synchronously, from the server's HTML (`#[island]` calls
//! `hydrate_from_position::<true>`). Two other paths exist in tachys: asynchronous hydration
//! (`RenderHtml::hydrate_async`), which serves lazy routes, and an attribute's hydration from a
//! template (`hydrate::<false>`), which serves `template!`; this app uses neither. Yet every
//! erased view (`into_any`, and `erase_components` erases every component) stores a pointer to
//! its `hydrate_async`, and every erased attribute one to its `hydrate_from_template`, so
//! rustc keeps that code, with all it calls, for every type: about 208 kB of the wasm before
//! `wasm-opt`, up to 20 kB of brotli on a page's first load (BENCHMARKS.md, "the first-load
//! budget").
//!
//! The pass is a liveness check over the relocations `--emit-relocs` leaves in the wasm, the
//! same ones the split follows. The candidates are the functions whose names hold
//! `hydrate_async` or `hydrate_from_template` (closures and drop glue included). Starting from
//! the exports, it follows every call and every pointer taken, by code and by data, and never
//! enters a candidate, with one exception: the pointer an erased type stores in its slot
//! (`into_any::hydrate_async`, `into_any_attr::hydrate_from_template`), which only the erased
//! type's own method of that path reads. A candidate that live code reaches any other way
//! stays as it is (rustc merges identical helpers, so the synchronous `hydrate` does call one
//! function named `hydrate_async`). Every other candidate's body becomes `unreachable`, padded
//! with `nop` to its old length so no other offset moves, and its relocations are dropped: the
//! split then sees that it calls nothing. Were one ever called, the page would stop with
//! "unreachable" in the console, which fails the browser suite.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use wasmparser::{
    DefinedDataSymbol, KnownCustom, Linking, Name, Parser, Payload, RelocAddendKind,
    RelocationType, SymbolInfo,
};

/// What the pass found and did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Functions whose body is now `unreachable`.
    pub stubbed: usize,
    /// Their bodies' bytes before.
    pub bytes: usize,
    /// Candidates kept because live code reaches them.
    pub kept: usize,
}

/// The paths islands never take: the functions whose names hold the first are candidates, and
/// the second is the slot of an erased type that holds a pointer to one, the one pointer to a
/// candidate live code may take (mangled names spell each part of a path after its length).
const UNUSED: [(&str, &str); 2] = [
    // A view's asynchronous hydration, `<T as IntoAny>::into_any::hydrate_async`.
    ("hydrate_async", "8into_any13hydrate_async"),
    // An attribute's hydration from a template (`template!`, which this app does not use), not
    // from the server's HTML: `<T as IntoAnyAttribute>::into_any_attr::hydrate_from_template`.
    (
        "hydrate_from_template",
        "13into_any_attr21hydrate_from_template",
    ),
];

/// `<AnyView as RenderHtml>::hydrate_async`, the one reader of the views' slot. Should live
/// code ever call it (a Leptos that hydrates islands asynchronously), the slot's pointers
/// would be called too, and the pass refuses to run rather than empty them.
const VIEW_SLOT_READER: &str = "AnyView$u20$as$u20$tachys..view..RenderHtml$GT$13hydrate_async";

pub fn stub(wasm: &[u8]) -> Result<(Vec<u8>, Report), String> {
    let module = Module::read(wasm).map_err(|err| format!("reading the wasm: {err}"))?;
    let mut stubs: HashSet<u32> = module
        .bodies
        .keys()
        .copied()
        .filter(|f| {
            module
                .names
                .get(f)
                .is_some_and(|n| UNUSED.iter().any(|(candidate, _)| n.contains(candidate)))
        })
        .collect();
    let candidates = stubs.clone();
    module.keep_what_live_code_reaches(&mut stubs);
    if let Some(reader) = candidates
        .difference(&stubs)
        .filter_map(|f| module.names.get(f))
        .find(|name| name.contains(VIEW_SLOT_READER))
    {
        return Err(format!(
            "live code calls {reader}: Leptos hydrates asynchronously here, so the views' \
             asynchronous hydration cannot be emptied (split-wasm/src/unused_hydration.rs)"
        ));
    }
    let mut out = wasm.to_vec();
    let mut report = Report {
        kept: candidates.len() - stubs.len(),
        ..Report::default()
    };
    for f in &stubs {
        let body = module.bodies[f].clone();
        // Two bytes is already the empty body (no locals, `end`).
        if body.len() < 3 {
            continue;
        }
        report.stubbed += 1;
        report.bytes += body.len();
        // No locals, `unreachable`, `nop`s, `end`.
        out[body.start] = 0x00;
        out[body.start + 1] = 0x00;
        out[body.start + 2..body.end - 1].fill(0x01);
        out[body.end - 1] = 0x0b;
    }
    let kept: Vec<&Reloc> = module
        .code_relocs
        .iter()
        .filter(|r| !stubs.contains(&r.function))
        .collect();
    let section = reloc_section("reloc.CODE", module.code_reloc_target, &kept);
    let at = module.code_reloc_section.clone().ok_or(
        "the wasm has no code relocations: build it with `-Clink-args=--emit-relocs` \
         (scripts/release)",
    )?;
    out.splice(at, section);
    Ok((out, report))
}

/// One relocation, as the pass needs it.
#[derive(Debug, Clone)]
struct Reloc {
    ty: RelocationType,
    /// From the start of its section's contents.
    offset: usize,
    /// For a code relocation, the function whose body holds it (0 for data).
    function: u32,
    symbol: u32,
    addend: i64,
}

/// Code or data that live code reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Function(u32),
    /// A data symbol, by its index in the symbol table.
    Data(u32),
}

enum Symbol {
    Function(u32),
    /// A defined data symbol: its bytes, as offsets into the data section's contents.
    Data(Range<usize>),
    Other,
}

struct Module {
    names: HashMap<u32, String>,
    /// Each defined function's body (locals and code, without its size), in the file.
    bodies: HashMap<u32, Range<usize>>,
    exports: Vec<u32>,
    symbols: Vec<Symbol>,
    /// The code relocations, in order.
    code_relocs: Vec<Reloc>,
    /// The `reloc.CODE` section in the file, header included, and the section it applies to.
    code_reloc_section: Option<Range<usize>>,
    code_reloc_target: u32,
    /// The data relocations, by offset.
    data_relocs: Vec<Reloc>,
}

impl Module {
    fn read(wasm: &[u8]) -> wasmparser::Result<Module> {
        let mut names = HashMap::new();
        let mut bodies = HashMap::new();
        let mut exports = Vec::new();
        let mut symbols = Vec::new();
        let mut segments: Vec<usize> = Vec::new();
        let mut data_symbols: Vec<(usize, DefinedDataSymbol)> = Vec::new();
        let mut imported = 0u32;
        let mut next_function = 0u32;
        let mut code_start = 0;
        // Each body's start, from the code section's contents, in order.
        let mut body_starts: Vec<(usize, u32)> = Vec::new();
        let mut data_start = 0;
        let mut code_relocs = Vec::new();
        let mut code_reloc_section = None;
        let mut code_reloc_target = 0;
        let mut data_relocs = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        if matches!(import?.ty, wasmparser::TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                    next_function = imported;
                }
                Payload::ExportSection(section) => {
                    for export in section {
                        let export = export?;
                        if export.kind == wasmparser::ExternalKind::Func {
                            exports.push(export.index);
                        }
                    }
                }
                Payload::StartSection { func, .. } => exports.push(func),
                Payload::CodeSectionStart { range, .. } => code_start = range.start as usize,
                Payload::CodeSectionEntry(body) => {
                    let range = body.range();
                    bodies.insert(next_function, range.start as usize..range.end as usize);
                    body_starts.push((range.start as usize - code_start, next_function));
                    next_function += 1;
                }
                Payload::DataSection(section) => {
                    data_start = section.range().start as usize;
                    // A segment's bytes are the end of its entry.
                    for segment in section {
                        let segment = segment?;
                        segments.push(segment.range.end as usize - segment.data.len());
                    }
                }
                Payload::CustomSection(custom) => match custom.as_known() {
                    KnownCustom::Name(section) => {
                        for name in section {
                            if let Name::Function(map) = name? {
                                for naming in map {
                                    let naming = naming?;
                                    names.insert(naming.index, naming.name.to_string());
                                }
                            }
                        }
                    }
                    KnownCustom::Linking(section) => {
                        for sub in section.subsections() {
                            let Linking::SymbolTable(table) = sub? else {
                                continue;
                            };
                            for symbol in table {
                                symbols.push(match symbol? {
                                    SymbolInfo::Func { index, .. } => Symbol::Function(index),
                                    SymbolInfo::Data {
                                        symbol: Some(data), ..
                                    } => {
                                        data_symbols.push((symbols.len(), data));
                                        Symbol::Other
                                    }
                                    _ => Symbol::Other,
                                });
                            }
                        }
                    }
                    KnownCustom::Reloc(section) => {
                        let in_code = custom.name() == "reloc.CODE";
                        let mut relocs = Vec::new();
                        for entry in section.entries() {
                            let entry = entry?;
                            let offset = entry.offset as usize;
                            // The code section comes before its relocations: every body is known.
                            let body = body_starts.partition_point(|(start, _)| *start <= offset);
                            relocs.push(Reloc {
                                ty: entry.ty,
                                offset,
                                function: match body.checked_sub(1) {
                                    Some(i) if in_code => body_starts[i].1,
                                    _ => 0,
                                },
                                symbol: entry.index,
                                addend: entry.addend,
                            });
                        }
                        if in_code {
                            code_relocs = relocs;
                            code_reloc_target = section.section_index();
                            let contents = custom.range();
                            code_reloc_section = Some(
                                section_header_start(wasm, contents.start as usize)
                                    ..contents.end as usize,
                            );
                        } else if custom.name() == "reloc.DATA" {
                            relocs.sort_by_key(|r| r.offset);
                            data_relocs = relocs;
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        for (at, data) in data_symbols {
            if let Some(segment) = segments.get(data.index as usize) {
                let start = segment - data_start + data.offset as usize;
                symbols[at] = Symbol::Data(start..start + data.size as usize);
            }
        }
        Ok(Module {
            names,
            bodies,
            exports,
            symbols,
            code_relocs,
            code_reloc_section,
            code_reloc_target,
            data_relocs,
        })
    }

    /// Takes out of `stubs` every candidate that live code reaches other than through the
    /// erased view's slot.
    fn keep_what_live_code_reaches(&self, stubs: &mut HashSet<u32>) {
        let mut by_function: HashMap<u32, Vec<&Reloc>> = HashMap::new();
        for reloc in &self.code_relocs {
            by_function.entry(reloc.function).or_default().push(reloc);
        }
        let mut live: HashSet<Node> = HashSet::new();
        let mut work: Vec<Node> = self.exports.iter().map(|f| Node::Function(*f)).collect();
        // What a relocation naming `symbol` makes live (nothing for the slot's pointer).
        let reached = |symbol: u32, pointer: bool, stubs: &HashSet<u32>| match self
            .symbols
            .get(symbol as usize)
        {
            Some(Symbol::Function(f)) if stubs.contains(f) && pointer && self.is_slot(*f) => None,
            Some(Symbol::Function(f)) => Some(Node::Function(*f)),
            Some(Symbol::Data(_)) => Some(Node::Data(symbol)),
            _ => None,
        };
        while let Some(node) = work.pop() {
            let targets: Vec<Option<Node>> = match node {
                Node::Function(f) => by_function
                    .get(&f)
                    .into_iter()
                    .flatten()
                    .map(|r| reached(r.symbol, is_pointer(r.ty), stubs))
                    .collect(),
                Node::Data(symbol) => {
                    let Some(Symbol::Data(range)) = self.symbols.get(symbol as usize) else {
                        continue;
                    };
                    let from = self.data_relocs.partition_point(|r| r.offset < range.start);
                    self.data_relocs[from..]
                        .iter()
                        .take_while(|r| r.offset < range.end)
                        // A pointer stored in data (a vtable) is not the slot.
                        .map(|r| reached(r.symbol, false, stubs))
                        .collect()
                }
            };
            for target in targets.into_iter().flatten() {
                if let Node::Function(f) = target {
                    stubs.remove(&f);
                }
                if live.insert(target) {
                    work.push(target);
                }
            }
        }
    }

    fn is_slot(&self, f: u32) -> bool {
        self.names
            .get(&f)
            .is_some_and(|n| UNUSED.iter().any(|(_, slot)| n.contains(slot)))
    }
}

/// A relocation that takes a function's address (its table index) rather than calling it.
fn is_pointer(ty: RelocationType) -> bool {
    use RelocationType::*;
    matches!(
        ty,
        TableIndexSleb
            | TableIndexI32
            | TableIndexRelSleb
            | TableIndexSleb64
            | TableIndexI64
            | TableIndexRelSleb64
    )
}

/// A custom section's first byte (its id), from the range of its contents: the id and the
/// contents' size come just before.
fn section_header_start(wasm: &[u8], contents: usize) -> usize {
    // The size is a LEB128 ending right before the contents; walk back over its bytes.
    let mut at = contents - 1;
    while at > 0 && wasm[at - 1] & 0x80 != 0 {
        at -= 1;
    }
    at - 1
}

fn reloc_section(name: &str, target: u32, relocs: &[&Reloc]) -> Vec<u8> {
    let mut contents = Vec::new();
    uleb(&mut contents, name.len() as u64);
    contents.extend_from_slice(name.as_bytes());
    uleb(&mut contents, target as u64);
    uleb(&mut contents, relocs.len() as u64);
    for r in relocs {
        contents.push(r.ty as u8);
        uleb(&mut contents, r.offset as u64);
        uleb(&mut contents, r.symbol as u64);
        if r.ty.addend_kind() != RelocAddendKind::None {
            sleb(&mut contents, r.addend);
        }
    }
    let mut section = vec![0];
    uleb(&mut section, contents.len() as u64);
    section.extend(contents);
    section
}

fn uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmparser::BinaryReader;

    /// `i32.const` with a 5-byte immediate, as relocatable code writes it.
    const I32_CONST: u8 = 0x41;
    const CALL: u8 = 0x10;
    const DROP: u8 = 0x1a;
    const END: u8 = 0x0b;

    fn section(id: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![id];
        uleb(&mut out, contents.len() as u64);
        out.extend_from_slice(contents);
        out
    }

    fn custom(name: &str, body: &[u8]) -> Vec<u8> {
        let mut contents = Vec::new();
        uleb(&mut contents, name.len() as u64);
        contents.extend_from_slice(name.as_bytes());
        contents.extend_from_slice(body);
        section(0, &contents)
    }

    fn padded(value: u32) -> [u8; 5] {
        let v = value;
        [
            (v & 0x7f) as u8 | 0x80,
            ((v >> 7) & 0x7f) as u8 | 0x80,
            ((v >> 14) & 0x7f) as u8 | 0x80,
            ((v >> 21) & 0x7f) as u8 | 0x80,
            ((v >> 28) & 0x0f) as u8,
        ]
    }

    /// A relocatable module of four `() -> ()` functions, the first exported:
    /// - 0 `live` takes a pointer to 1 with `first` and calls 2;
    /// - 1 is named like `pointed_name`, calls 3;
    /// - 2 `<y>::hydrate_async`, a candidate that live code calls;
    /// - 3 a helper only 1 calls.
    ///
    /// `first` is the relocation of 0's pointer to 1 (a table index, or a direct call).
    fn module(pointed_name: &str, first: RelocationType) -> Vec<u8> {
        let names = [
            "live",
            pointed_name,
            "_ZN1y13hydrate_async17h0E",
            "_ZN6helper17h1E",
        ];
        let mut relocs: Vec<(RelocationType, usize, u32)> = Vec::new();
        let mut code = vec![4u8];
        let mut body =
            |code: &mut Vec<u8>, instructions: &[(u8, Option<(RelocationType, u32)>)]| {
                let mut b = vec![0u8];
                let mut at = Vec::new();
                for (op, reloc) in instructions {
                    b.push(*op);
                    if let Some((ty, symbol)) = reloc {
                        at.push((*ty, b.len(), *symbol));
                        b.extend_from_slice(&padded(*symbol));
                    }
                }
                b.push(END);
                uleb(code, b.len() as u64);
                let start = code.len();
                for (ty, offset, symbol) in at {
                    relocs.push((ty, start + offset, symbol));
                }
                code.extend(b);
            };
        let take_pointer = if first == RelocationType::FunctionIndexLeb {
            vec![(CALL, Some((first, 1)))]
        } else {
            vec![(I32_CONST, Some((first, 1))), (DROP, None)]
        };
        body(
            &mut code,
            &[
                take_pointer,
                vec![(CALL, Some((RelocationType::FunctionIndexLeb, 2)))],
            ]
            .concat(),
        );
        body(
            &mut code,
            &[(CALL, Some((RelocationType::FunctionIndexLeb, 3)))],
        );
        body(&mut code, &[(0x01, None), (0x01, None)]);
        body(&mut code, &[(0x01, None), (0x01, None)]);

        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend(section(1, &[1, 0x60, 0, 0]));
        wasm.extend(section(3, &[4, 0, 0, 0, 0]));
        wasm.extend(section(7, &[1, 4, b'l', b'i', b'v', b'e', 0, 0]));
        wasm.extend(section(10, &code));
        let mut name_map = vec![names.len() as u8];
        for (i, name) in names.iter().enumerate() {
            name_map.push(i as u8);
            uleb(&mut name_map, name.len() as u64);
            name_map.extend_from_slice(name.as_bytes());
        }
        let mut name_section = vec![1];
        uleb(&mut name_section, name_map.len() as u64);
        name_section.extend(name_map);
        wasm.extend(custom("name", &name_section));
        let mut table = vec![names.len() as u8];
        for (i, name) in names.iter().enumerate() {
            table.extend([0, 0, i as u8]);
            uleb(&mut table, name.len() as u64);
            table.extend_from_slice(name.as_bytes());
        }
        let mut linking = vec![2, 8];
        uleb(&mut linking, table.len() as u64);
        linking.extend(table);
        wasm.extend(custom("linking", &linking));
        let mut reloc = vec![3, relocs.len() as u8];
        for (ty, offset, symbol) in &relocs {
            reloc.push(*ty as u8);
            uleb(&mut reloc, *offset as u64);
            uleb(&mut reloc, *symbol as u64);
        }
        wasm.extend(custom("reloc.CODE", &reloc));
        wasm
    }

    const SLOT_NAME: &str = "_ZN1x8into_any13hydrate_async17h2E";

    fn bodies(wasm: &[u8]) -> Vec<Vec<u8>> {
        let module = Module::read(wasm).unwrap();
        (0..4)
            .map(|f| wasm[module.bodies[&f].clone()].to_vec())
            .collect()
    }

    /// An emptied 8-byte body: no locals, `unreachable`, `nop`s, `end`.
    const EMPTIED: [u8; 8] = [0x00, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, END];

    #[test]
    fn each_erased_types_slot_is_emptied_and_a_candidate_live_code_calls_is_kept() {
        for slot in [
            SLOT_NAME,
            "_ZN1a13into_any_attr21hydrate_from_template17h4E",
        ] {
            let input = module(slot, RelocationType::TableIndexSleb);
            let (out, report) = stub(&input).unwrap();
            let one = Report {
                stubbed: 1,
                bytes: 8,
                kept: 1,
            };
            assert_eq!(report, one, "{slot}");
            wasmparser::Validator::new()
                .validate_all(&out)
                .expect("a valid module");
            let (before, after) = (bodies(&input), bodies(&out));
            assert_eq!(after[1], EMPTIED, "{slot}");
            assert_eq!(after[2], before[2], "called by live code");
            assert_eq!(after[0], before[0]);
            assert_eq!(
                after[3], before[3],
                "the split, not this pass, leaves it out"
            );
            // The emptied body's call went with it: the split sees it calls nothing.
            let module = Module::read(&out).unwrap();
            let symbols: Vec<u32> = module.code_relocs.iter().map(|r| r.symbol).collect();
            assert_eq!(symbols, [1, 2]);
            assert_eq!(Module::read(&input).unwrap().code_relocs.len(), 3);
        }
    }

    #[test]
    fn a_call_to_the_slot_from_live_code_keeps_it() {
        let input = module(SLOT_NAME, RelocationType::FunctionIndexLeb);
        let (out, report) = stub(&input).unwrap();
        assert_eq!(
            report,
            Report {
                stubbed: 0,
                bytes: 0,
                kept: 2
            }
        );
        assert_eq!(out, input);
    }

    #[test]
    fn live_code_that_hydrates_views_asynchronously_stops_the_build() {
        let reader = "_ZN76_$LT$tachys..view..any_view..AnyView$u20$as$u20$tachys..view..RenderHtml$GT$13hydrate_async28_$u7b$$u7b$closure$u7d$$u7d$17h5E";
        let err = stub(&module(reader, RelocationType::FunctionIndexLeb)).unwrap_err();
        assert!(err.contains("Leptos hydrates asynchronously"), "{err}");
        // A pointer to it, which live code may call, stops it too.
        assert!(stub(&module(reader, RelocationType::TableIndexSleb)).is_err());
    }

    #[test]
    fn a_pointer_to_any_other_candidate_keeps_it() {
        let input = module(
            "_ZN1z6Future13hydrate_async17h3E",
            RelocationType::TableIndexSleb,
        );
        let (out, report) = stub(&input).unwrap();
        assert_eq!(report.stubbed, 0);
        assert_eq!(out, input);
    }

    #[test]
    fn a_wasm_without_relocations_is_refused() {
        let err = stub(b"\0asm\x01\0\0\0").unwrap_err();
        assert!(err.contains("--emit-relocs"), "{err}");
    }

    #[test]
    fn leb128_round_trips() {
        for value in [0i64, 1, 63, 64, -1, -64, -65, 1 << 40, i32::MIN as i64] {
            let mut out = Vec::new();
            sleb(&mut out, value);
            assert_eq!(BinaryReader::new(&out, 0).read_var_i64().unwrap(), value);
        }
        let mut out = Vec::new();
        uleb(&mut out, 300);
        assert_eq!(out, [0xac, 0x02]);
    }
}
