//! The role a shim plays, worked out once from the name it was called by (argv[0]).

use std::path::Path;

/// What tool the shim stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A C compiler driver: cc, gcc, clang.
    Cc,
    /// A C++ compiler driver: c++, g++, clang++.
    Cxx,
    /// The C preprocessor (cpp).
    Cpp,
    /// GNU as, called by the build by name (gcc's own calls of it pass straight through).
    As,
    /// The Netwide Assembler.
    Nasm,
    /// The Yasm assembler (nasm's syntax, and GNU's).
    Yasm,
    /// The linker (ld, ld.bfd, ld.gold, ld.lld).
    Ld,
    /// The archiver (ar, gcc-ar, llvm-ar).
    Ar,
    Ranlib,
    Nm,
    Strip,
    Objcopy,
    Readelf,
    Objdump,
    /// pkg-config (and pkgconf): answered for real or made up, and recorded.
    PkgConfig,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 15] = [
        Role::Cc,
        Role::Cxx,
        Role::Cpp,
        Role::As,
        Role::Nasm,
        Role::Yasm,
        Role::Ld,
        Role::Ar,
        Role::Ranlib,
        Role::Nm,
        Role::Strip,
        Role::Objcopy,
        Role::Readelf,
        Role::Objdump,
        Role::PkgConfig,
    ];

    /// The stable name stored in events and tokens.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cc => "cc",
            Role::Cxx => "c++",
            Role::Cpp => "cpp",
            Role::As => "as",
            Role::Nasm => "nasm",
            Role::Yasm => "yasm",
            Role::Ld => "ld",
            Role::Ar => "ar",
            Role::Ranlib => "ranlib",
            Role::Nm => "nm",
            Role::Strip => "strip",
            Role::Objcopy => "objcopy",
            Role::Readelf => "readelf",
            Role::Objdump => "objdump",
            Role::PkgConfig => "pkg-config",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Compiler drivers: the roles whose command lines follow gcc's flag table.
    #[must_use]
    pub fn is_driver(self) -> bool {
        matches!(self, Role::Cc | Role::Cxx | Role::Cpp)
    }

    /// Assemblers: GNU as, nasm and yasm (see `asm`).
    #[must_use]
    pub fn is_assembler(self) -> bool {
        matches!(self, Role::As | Role::Nasm | Role::Yasm)
    }

    /// Works out the role from argv[0]: the directory is dropped, then a target-triple prefix
    /// (`x86_64-linux-gnu-gcc`) and a version suffix (`gcc-12`, `clang-16`, `g++-12`).
    #[must_use]
    pub fn from_argv0(argv0: &str) -> Option<Role> {
        let base = Path::new(argv0).file_name()?.to_str()?;
        role_of_name(base)
    }
}

/// Base names without prefix or version, longest first where one is a suffix of another.
const NAMES: &[(&str, Role)] = &[
    ("pkg-config", Role::PkgConfig),
    ("pkgconf", Role::PkgConfig),
    ("gcc-ranlib", Role::Ranlib),
    ("llvm-ranlib", Role::Ranlib),
    ("llvm-objcopy", Role::Objcopy),
    ("llvm-readelf", Role::Readelf),
    ("llvm-objdump", Role::Objdump),
    ("llvm-strip", Role::Strip),
    ("llvm-ar", Role::Ar),
    ("llvm-nm", Role::Nm),
    ("gcc-ar", Role::Ar),
    ("gcc-nm", Role::Nm),
    ("clang++", Role::Cxx),
    ("objcopy", Role::Objcopy),
    ("objdump", Role::Objdump),
    ("readelf", Role::Readelf),
    ("ld.gold", Role::Ld),
    ("ld.bfd", Role::Ld),
    ("ld.lld", Role::Ld),
    ("ranlib", Role::Ranlib),
    ("clang", Role::Cc),
    ("strip", Role::Strip),
    ("c++", Role::Cxx),
    ("g++", Role::Cxx),
    ("gcc", Role::Cc),
    ("cpp", Role::Cpp),
    ("cc", Role::Cc),
    ("nasm", Role::Nasm),
    ("yasm", Role::Yasm),
    ("as", Role::As),
    ("ld", Role::Ld),
    ("ar", Role::Ar),
    ("nm", Role::Nm),
];

fn role_of_name(name: &str) -> Option<Role> {
    let stem = strip_version(name);
    for &(base, role) in NAMES {
        if stem == base {
            return Some(role);
        }
        // A target prefix: `x86_64-linux-gnu-gcc`, `arm-none-eabi-ar`.
        if let Some(prefix) = stem.strip_suffix(base) {
            if prefix.ends_with('-') && prefix.len() > 1 && !is_tool_prefix(prefix) {
                return Some(role);
            }
        }
    }
    None
}

/// `gcc-` in `gcc-ar` is part of the name, not a target prefix; guard the suffix match.
fn is_tool_prefix(prefix: &str) -> bool {
    matches!(prefix, "gcc-" | "llvm-")
}

/// Drops a trailing version: `-12`, `-16.0`, `-12.2.0`, and gcc's `c++-12` style.
fn strip_version(name: &str) -> &str {
    if let Some(pos) = name.rfind('-') {
        let tail = &name[pos + 1..];
        if !tail.is_empty()
            && tail.chars().all(|c| c.is_ascii_digit() || c == '.')
            && tail.starts_with(|c: char| c.is_ascii_digit())
        {
            return &name[..pos];
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_plain_versioned_and_prefixed_names() {
        let cases = [
            ("cc", Role::Cc),
            ("/usr/bin/gcc", Role::Cc),
            ("gcc-12", Role::Cc),
            ("x86_64-linux-gnu-gcc", Role::Cc),
            ("x86_64-linux-gnu-gcc-12", Role::Cc),
            ("clang-16", Role::Cc),
            ("clang++-16", Role::Cxx),
            ("g++", Role::Cxx),
            ("c++", Role::Cxx),
            ("x86_64-linux-gnu-g++-12", Role::Cxx),
            ("cpp", Role::Cpp),
            ("cpp-12", Role::Cpp),
            ("gcc-ar", Role::Ar),
            ("gcc-ar-12", Role::Ar),
            ("x86_64-linux-gnu-gcc-ar-12", Role::Ar),
            ("gcc-nm", Role::Nm),
            ("gcc-ranlib", Role::Ranlib),
            ("ar", Role::Ar),
            ("arm-none-eabi-ar", Role::Ar),
            ("ranlib", Role::Ranlib),
            ("ld", Role::Ld),
            ("ld.bfd", Role::Ld),
            ("ld.gold", Role::Ld),
            ("ld.lld", Role::Ld),
            ("as", Role::As),
            ("x86_64-linux-gnu-as", Role::As),
            ("nasm", Role::Nasm),
            ("yasm", Role::Yasm),
            ("nm", Role::Nm),
            ("strip", Role::Strip),
            ("objcopy", Role::Objcopy),
            ("readelf", Role::Readelf),
            ("llvm-ar", Role::Ar),
            ("pkg-config", Role::PkgConfig),
            ("x86_64-linux-gnu-pkg-config", Role::PkgConfig),
            ("pkgconf", Role::PkgConfig),
        ];
        for (name, want) in cases {
            assert_eq!(Role::from_argv0(name), Some(want), "{name}");
        }
    }

    #[test]
    fn unknown_names_have_no_role() {
        for name in ["make", "sh", "gcc-foo", "python3", "cmake"] {
            assert_eq!(Role::from_argv0(name), None, "{name}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
