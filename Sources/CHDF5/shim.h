#ifndef SNN_THEORY_CHDF5_SHIM_H
#define SNN_THEORY_CHDF5_SHIM_H

#include <hdf5.h>

/* HDF5's type, property-list and access-flag "constants" are macros that call H5open() and read a mutable C global,
   which Swift can neither import nor (under Swift 6 strict concurrency) read directly. Expanding each macro here,
   in C, keeps the H5open() call and returns the value. */
static inline hid_t chdf5_t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_t_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_t_std_i8le(void) { return H5T_STD_I8LE; }
static inline size_t chdf5_t_variable(void) { return H5T_VARIABLE; }

static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hid_t chdf5_e_default(void) { return H5E_DEFAULT; }

static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }

/* HDF5 prints a multi-line trace to stderr on every failure unless told not to, and the setting is per thread
   (Debian's build is thread-safe): callers switch it off on the calling thread before each operation. */
static inline herr_t chdf5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
