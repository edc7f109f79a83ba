#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HDF5 constants are macros Swift cannot import (comma expressions that call H5open(), or
   untyped literals). They are re-exported here as inline functions. */
static inline hid_t    chdf5_p_default(void)     { return H5P_DEFAULT; }
static inline hid_t    chdf5_s_all(void)         { return H5S_ALL; }
static inline hid_t    chdf5_e_default(void)     { return H5E_DEFAULT; }
static inline unsigned chdf5_f_acc_rdonly(void)  { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_trunc(void)   { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void)    { return H5F_ACC_EXCL; }
static inline unsigned chdf5_f_obj_all(void)     { return H5F_OBJ_ALL; }
static inline size_t   chdf5_t_variable(void)    { return H5T_VARIABLE; }

/* Property list classes. */
static inline hid_t chdf5_p_file_create(void)    { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_file_access(void)    { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_group_create(void)   { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }

/* Predefined datatypes the writer uses (file types: little-endian, as numpy's defaults). */
static inline hid_t chdf5_t_std_i8le(void)   { return H5T_STD_I8LE; }
static inline hid_t chdf5_t_std_i16le(void)  { return H5T_STD_I16LE; }
static inline hid_t chdf5_t_std_i32le(void)  { return H5T_STD_I32LE; }
static inline hid_t chdf5_t_std_i64le(void)  { return H5T_STD_I64LE; }
static inline hid_t chdf5_t_std_u8le(void)   { return H5T_STD_U8LE; }
static inline hid_t chdf5_t_std_u16le(void)  { return H5T_STD_U16LE; }
static inline hid_t chdf5_t_std_u32le(void)  { return H5T_STD_U32LE; }
static inline hid_t chdf5_t_std_u64le(void)  { return H5T_STD_U64LE; }
static inline hid_t chdf5_t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_t_c_s1(void)       { return H5T_C_S1; }
static inline hid_t chdf5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_t_native_llong(void)  { return H5T_NATIVE_LLONG; }
static inline hid_t chdf5_t_native_ullong(void) { return H5T_NATIVE_ULLONG; }

/* ---------------------------------------------------------------------------------------
   Calls whose C signature changed between HDF5 1.10 and 1.12 (object info, link iteration).
   The Swift side calls these and never sees H5O_info_t / H5L_info2_t.
   --------------------------------------------------------------------------------------- */

/* The type of the object a hard link names (H5O_TYPE_GROUP, DATASET, NAMED_DATATYPE), and
   16 bytes that identify it within its file (its address, or 1.12's token), so a walk can
   visit each group once. Returns a negative value on failure. */
static inline herr_t chdf5_object_identity(hid_t loc, const char *name, int *type,
                                           unsigned long *fileno, unsigned char identity[16]) {
    memset(identity, 0, 16);
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    herr_t status = H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT);
    if (status < 0) return status;
    memcpy(identity, &info.token, sizeof(info.token) < 16 ? sizeof(info.token) : 16);
#else
    H5O_info_t info;
    herr_t status = H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT);
    if (status < 0) return status;
    memcpy(identity, &info.addr, sizeof(info.addr));
#endif
    *type = (int)info.type;
    *fileno = info.fileno;
    return 0;
}

/* The callback chdf5_iterate_links calls for each link of one group: its name, its H5L_type_t
   (HARD 0, SOFT 1, EXTERNAL 64) and, for a hard link, 16 bytes that identify the object it
   names within the file (its address, or 1.12's token; the bytes chdf5_object_identity gives),
   zero otherwise. Return 0 to go on, non-zero to stop. */
typedef int (*chdf5_link_visitor)(const char *name, int link_type, const unsigned char identity[16], void *context);

struct chdf5_link_iteration {
    chdf5_link_visitor visitor;
    void *context;
};

#if H5_VERSION_GE(1, 12, 0)
static herr_t chdf5__link_callback(hid_t group, const char *name, const H5L_info2_t *info, void *data) {
#else
static herr_t chdf5__link_callback(hid_t group, const char *name, const H5L_info_t *info, void *data) {
#endif
    (void)group;
    struct chdf5_link_iteration *iteration = (struct chdf5_link_iteration *)data;
    unsigned char identity[16];
    memset(identity, 0, 16);
    if (info->type == H5L_TYPE_HARD) {
#if H5_VERSION_GE(1, 12, 0)
        memcpy(identity, &info->u.token, sizeof(info->u.token) < 16 ? sizeof(info->u.token) : 16);
#else
        memcpy(identity, &info->u.address, sizeof(info->u.address));
#endif
    }
    return iteration->visitor(name, (int)info->type, identity, iteration->context);
}

/* Calls `visitor` for every link directly in `group` (one level), in creation order when
   `by_creation_order` is non-zero (the group must track it), else in name order. */
static inline herr_t chdf5_iterate_links(hid_t group, int by_creation_order, chdf5_link_visitor visitor,
                                         void *context) {
    struct chdf5_link_iteration iteration = { visitor, context };
    hsize_t index = 0;
    H5_index_t order = by_creation_order ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
#if H5_VERSION_GE(1, 12, 0)
    return H5Literate2(group, order, H5_ITER_INC, &index, chdf5__link_callback, &iteration);
#else
    return H5Literate(group, order, H5_ITER_INC, &index, chdf5__link_callback, &iteration);
#endif
}

/* The target of a soft link, or the file and object path of an external one, as text
   ("/a/b" or "file.h5:/a/b") written into `buffer`. Returns a negative value on failure. */
static inline herr_t chdf5_link_target(hid_t loc, const char *name, char *buffer, size_t size) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#endif
    if (size == 0) return -1;
    buffer[0] = 0;
    size_t length = info.u.val_size;
    if (length == 0 || length > 65536) return -1;
    char *value = (char *)malloc(length);
    if (value == NULL) return -1;
    if (H5Lget_val(loc, name, value, length, H5P_DEFAULT) < 0) { free(value); return -1; }
    if (info.type == H5L_TYPE_SOFT) {
        snprintf(buffer, size, "%.*s", (int)length, value);
    } else if (info.type == H5L_TYPE_EXTERNAL) {
        unsigned flags = 0;
        const char *file = NULL, *path = NULL;
        if (H5Lunpack_elink_val(value, length, &flags, &file, &path) < 0) { free(value); return -1; }
        snprintf(buffer, size, "%s:%s", file ? file : "", path ? path : "");
    }
    free(value);
    return 0;
}

#endif
