#!/bin/bash
# README's errno table ("Errors"): each refused change fails with exactly its errno and leaves the table
# byte for byte as it was. IT_ARGS[0] picks the group: einval, eexist, enoent, efbig, eperm,
# erofs.
. "$(dirname "$0")/lib.sh"
it_init "$@"
group=${IT_ARGS[0]:?einval, eexist, enoent, efbig, eperm or erofs}

printf 'id,a,b\n1,x,y\n2,"q, r",z\n' >"$B"
cp "$B" "$T/orig.csv"

# refused ERRNO OP ARGS...: the operation fails with ERRNO and changes nothing visible.
refused() {
  assert_errno "$@"
  assert_table "$T/orig.csv"
  assert_rows "${ROWS:-1 2}"
}

case $group in
  einval)
    mount_csvfs "$B" "$M"
    refused EINVAL append "$TB" '3,"unterminated\n'      # fails at close
    refused EINVAL append "$TB" '3,"unterminated'
    refused EINVAL append "$TB" '3,too,many,fields\n'
    refused EINVAL append "$TB" '3,few\n'
    refused EINVAL append "$TB" '3,ok,ok\n4,bad\n'         # all records or none
    refused EINVAL append "$TB" '3,a\x00b,c\n'              # NUL bytes are refused
    refused EINVAL write "$R/1" '1,x,y\n1,x,y\n'           # two records
    refused EINVAL write "$R/1" '1,x\n'                     # wrong field count
    refused EINVAL write "$R/1" '1,"x,y\n'                  # malformed
    # The refusal is logged with the writer's pid.
    pid_out=$(t bash -c 'echo $$; exec python3 "$1" append "$2" "9,\"open\n"' _ "$IT_DIR/fsops.py" "$TB")
    assert_eq EINVAL "$(sed -n 2p <<<"$pid_out")" "append by a known pid"
    wait_for 5 "the daemon to log the refusal of pid $(head -n 1 <<<"$pid_out")" \
      grep -qw "$(head -n 1 <<<"$pid_out")" "$DAEMON_LOG"
    unmount_csvfs "$M"
    mount_csvfs "$B" "$M" -o key=id
    refused EINVAL write "$R/1" '2,x,y\n'                   # key field does not match the name
    refused EINVAL write "$R/9" '8,x,y\n'
    refused EINVAL write "$R/1" ''                          # no record
    refused EINVAL truncate_only "$R/1"
    ;;
  eexist)
    mount_csvfs "$B" "$M" -o key=id
    refused EEXIST append "$TB" '1,dup,dup\n'
    refused EEXIST append "$TB" '5,a,b\n5,c,d\n'
    refused EEXIST create_excl "$R/1" '1,n,n\n'
    refused EEXIST rename_noreplace "$R/1" "$R/2"
    ;;
  enoent)
    mount_csvfs "$B" "$M"
    refused ENOENT read "$R/9"
    refused ENOENT unlink "$R/9"
    refused ENOENT update "$R/9" '9,x,y\n'
    unmount_csvfs "$M"
    mount_csvfs "$B" "$M" -o key=id
    refused ENOENT read "$R/nokey"
    refused ENOENT unlink "$R/nokey"
    refused ENOENT rename "$R/nokey" "$R/other"
    ;;
  efbig)
    mount_csvfs "$B" "$M" -o max_record=1000
    big=$(printf '%01500d' 0)
    refused EFBIG append "$TB" "3,$big,y\n"
    refused EFBIG write "$R/1" "1,$big,y\n"
    # The limit is per record: three records of 600 bytes in one write are fine.
    mid=$(printf '%0596d' 0)
    rec3="3,$mid,y\n4,$mid,y\n5,$mid,y\n"
    assert_errno OK append "$TB" "$rec3"
    printf "$rec3" >>"$T/orig.csv"
    ROWS="1 2 3 4 5"
    ;;
  eperm)
    mount_csvfs "$B" "$M"
    refused EPERM unlink "$TB"
    refused EPERM mkdir "$R/dir"
    refused EPERM symlink table.csv "$R/link"
    refused EPERM link "$TB" "$M/hard"
    refused EPERM mknod "$M/dev"
    refused EPERM rename "$TB" "$R/9"
    refused EPERM write "$R/9" '9,x,y\n'                    # no row files created without key=
    assert_root_clean
    ;;
  erofs)
    mount_csvfs "$B" "$M" -o ro
    refused EROFS append "$TB" '3,x,y\n'
    refused EROFS truncate_only "$TB"
    refused EROFS write "$R/1" '1,n,n\n'
    refused EROFS unlink "$R/1"
    refused EROFS write "$M/scratch" 'x\n'
    refused EROFS rename "$TB" "$M/backup"
    ;;
  *) fail "unknown group $group" ;;
esac
finish "$T/orig.csv"
