# Sourced by the scripts that fetch Debian packages (fetch-kernel.sh, fetch-headers.sh,
# vm/arm64/base.sh): apt options for a private package list and download cache per architecture
# under .cache/apt/ARCH, so that the host's apt configuration (and its list of architectures) is
# left alone. Sets the array apt_opts; expects $top and $arch.
apt_state="$top/.cache/apt/$arch"
mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial"
apt_opts=(-o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
          -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache"
          -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
