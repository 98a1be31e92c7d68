#!/bin/bash
# createtmplt.sh, the acsible lab's stand-in for CloudStack's script of the same path: moves a template file
# into a template directory, uncompressed (gzip, bzip2, zip, xz; tar archives refused), and writes its
# template.properties (filename, description, hvm, size). Same flags and exit codes; a failure after the
# directory is made removes it, as the real script's rollback does. -c (copy with sudo) is accepted and ignored.
set -eu

usage() {
    printf "Usage: %s: -t <template-fs> -n <templatename> -f <root disk file> -d <descr> -h  [-u] [-v]\n" "$(basename "$0")" >&2
}

# rollback DIR MESSAGE: undo the template directory and fail with exit code 2.
rollback() {
    printf "%b\n" "$2"
    rm -rf "$1"
    exit 2
}

# The first word of file(1)'s description: gzip, bzip2, Zip, XZ, POSIX (tar), ...
file_kind() {
    file -b "$1" | awk '{print $1}'
}

# Uncompress FILE next to itself (FILE.tmp), remove FILE and print the name of what is left.
uncompress() {
    local source=$1 target=$1.tmp
    case $(file_kind "$source") in
        gzip) gunzip -q -c "$source" >"$target" || return 1 ;;
        bzip2) bunzip2 -q -c "$source" >"$target" || return 1 ;;
        [zZ][iI][pP]) unzip -q -p "$source" >"$target" || return 1 ;;
        XZ) xz -d -c "$source" >"$target" || return 1 ;;
        *) printf "%s" "$source"; return 0 ;;
    esac
    rm -f "$source"
    printf "%s" "$target"
}

tflag='' nflag='' fflag='' sflag='' verbose='' cleanup=false
tmpltfs='' tmpltname='' tmpltimg='' descr=''
hvm=false

while getopts 'vcuht:n:f:s:d:S:' OPTION; do
    case $OPTION in
        t) tflag=1; tmpltfs=$OPTARG ;;
        n) nflag=1; tmpltname=$OPTARG ;;
        f) fflag=1; tmpltimg=$OPTARG ;;
        s) sflag=1 ;;
        d) descr=$OPTARG ;;
        S) ulimit -f $((OPTARG >> 10)) ;;
        h) hvm=true ;;
        c) ;;
        u) cleanup=true ;;
        v) verbose=true ;;
        *) usage; exit 2 ;;
    esac
done

if [[ "$tflag$nflag$fflag$sflag" != "1111" ]]; then
    usage
    exit 2
fi

mkdir -p "$tmpltfs"
if [[ ! -f $tmpltimg ]]; then
    printf "root disk file %s doesn't exist\n" "$tmpltimg"
    exit 3
fi

if [[ -n $verbose ]]; then
    echo "Uncompressing $tmpltimg if it is compressed (type $(file_kind "$tmpltimg"))" >&2
fi
image=$(uncompress "$tmpltimg") || rollback "$tmpltfs" "failed to uncompress $tmpltimg\n"
if [[ $(file_kind "$image") == "POSIX" ]]; then
    rollback "$tmpltfs" "tar archives not supported\n"
fi

imgsize=$(stat -c %s "$image")
if [[ -n $verbose ]]; then
    echo "Moving to $tmpltfs/$tmpltname...could take a while" >&2
fi
mv "$image" "$tmpltfs/$tmpltname"

{
    echo "filename=$tmpltname"
    echo "description=$descr"
    echo "hvm=$hvm"
    echo "size=$imgsize"
} >"$tmpltfs/template.properties" || rollback "$tmpltfs" "Failed to create template.properties file"

if [[ $cleanup == "true" ]]; then
    rm -f "$tmpltimg"
fi
exit 0
