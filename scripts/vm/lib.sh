# Shared shell functions of the VM builders (sourced, not run).

# Every shared library `ldd` lists for the given programs, the dynamic loader included, by the
# path the program will look for it at.
ldd_libraries() {
  ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u
}

# Copies files into STAGE under the same absolute paths, following symbolic links (so that a
# /lib -> usr/lib host layout becomes plain directories in the guest).
copy_at_same_path() {
  local stage=$1 file
  shift
  for file in "$@"; do
    mkdir -p "$stage$(dirname "$file")"
    cp -L "$file" "$stage$file"
  done
}

# A newc cpio archive of DIR's contents, every file owned by root, in a stable order.
cpio_of_dir() {
  local dir=$1 out=$2
  (cd "$dir" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out"
}
