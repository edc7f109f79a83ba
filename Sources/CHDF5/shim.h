#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5.h>

/* HDF5 constants are macros Swift cannot import (comma expressions that call H5open(), or
   untyped literals). They are re-exported here as inline functions. */
static inline hid_t    chdf5_p_default(void)     { return H5P_DEFAULT; }
static inline hid_t    chdf5_s_all(void)         { return H5S_ALL; }
static inline hid_t    chdf5_e_default(void)     { return H5E_DEFAULT; }
static inline unsigned chdf5_f_acc_rdonly(void)  { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_trunc(void)   { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_obj_all(void)     { return H5F_OBJ_ALL; }

#endif
